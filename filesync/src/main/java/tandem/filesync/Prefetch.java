package tandem.filesync;

import com.google.protobuf.ByteString;
import java.io.IOException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The chunks of the files of one batch, in the order the applier reads them: the ones this node
 * has are taken from its own tree; the missing ones are asked for ahead of the reader, across file
 * boundaries, so the primary keeps sending while the replica writes, fsyncs and renames the file
 * before. At most {@link #AHEAD_BYTES} are asked for and not yet read.
 *
 * <p>A request names one file (the primary reads the chunks from it), so requests never span files.
 * A chunk that several files of the batch use is asked for once and kept in memory until its last
 * use. Every received chunk is checked against its hash before use.
 *
 * <p>The applier announces each file ({@link #starting}) and the files it does not need to read
 * ({@link #skipped}: the content was there already); a file the primary could not send ("gone": it
 * changed meanwhile) fails with {@link FileGoneException} and only that file is left as it was.
 */
final class Prefetch implements ChunkSource {
  /** Bytes asked for and not yet read; a request holds at most {@link #REQUEST_BYTES}. */
  static final long AHEAD_BYTES = 24L << 20;
  static final long REQUEST_BYTES = 8L << 20;

  /** Sends a request for chunks of {@code path}; returns its number. */
  interface Asker {
    long ask(String path, List<Hash> hashes);
  }

  /** One reply: the chunks of a request, in the order asked, or "gone". */
  record Reply(long request, List<ByteString> data, boolean gone) {}

  /** Gives the next reply of this stream (blocking); throws when the stream ended. */
  interface Replies {
    Reply take() throws IOException, InterruptedException;
  }

  /** Reports each received chunk's size. */
  interface Counter {
    void received(long bytes);
  }

  private record Planned(String path, ChunkRef chunk) {}

  private record Expected(long request, String path, ChunkRef chunk) {}

  private final String primary;
  private final Asker asker;
  private final Replies replies;
  private final Counter counter;
  private final Map<Hash, ChunkData> local;
  private final ArrayDeque<Planned> plan = new ArrayDeque<>();
  /** Reads still to come of each missing chunk, across the batch. */
  private final Map<Hash, Integer> uses = new HashMap<>();
  private final Map<Hash, ChunkData> kept = new HashMap<>();
  private final ArrayDeque<Expected> inFlight = new ArrayDeque<>();
  private final Map<Hash, Integer> inFlightCount = new HashMap<>();
  private final Set<String> gone = new HashSet<>();
  private long inFlightBytes;
  private String current = "";
  private ArrayDeque<ByteString> arrived = new ArrayDeque<>();
  private long arrivedRequest = -1;

  /**
   * @param local the chunks this node has, by hash (ranges of its own files, inline data)
   * @param files the files whose chunks will be read, in the order the applier reads them
   */
  Prefetch(String primary, Map<Hash, ChunkData> local, List<FileEntry> files, Asker asker, Replies replies,
      Counter counter) {
    this.primary = primary;
    this.asker = asker;
    this.replies = replies;
    this.counter = counter;
    this.local = local;
    for (FileEntry f : files) {
      for (ChunkRef c : f.chunks()) {
        if (local.containsKey(c.hash())) {
          continue;
        }
        if (uses.merge(c.hash(), 1, Integer::sum) == 1) {
          plan.add(new Planned(f.path(), c));
        }
      }
    }
  }

  /** True when nothing needs to be fetched. */
  boolean allLocal() {
    return uses.isEmpty();
  }

  @Override
  public void starting(FileEntry file) {
    current = file.path();
    askAhead();
  }

  @Override
  public void skipped(FileEntry file) {
    for (ChunkRef c : file.chunks()) {
      used(c.hash());
    }
  }

  @Override
  public ChunkData read(ChunkRef chunk) throws IOException, InterruptedException {
    Hash h = chunk.hash();
    ChunkData d = local.get(h);
    if (d != null) {
      return d;
    }
    d = kept.get(h);
    if (d != null) {
      used(h);
      return d;
    }
    if (gone.contains(current)) {
      throw new FileGoneException(current + " changed on the primary while it was being sent; a newer version follows");
    }
    while (true) {
      askAhead();
      if (!inFlightCount.containsKey(h)) {
        ask(current, List.of(chunk)); // its first asker was skipped or gone
      }
      Expected x = inFlight.peekFirst();
      ByteString b = next(x);
      if (b == null) {
        if (x.path().equals(current)) {
          throw new FileGoneException(current + " changed on the primary while it was being sent; a newer version follows");
        }
        continue;
      }
      ChunkData got = verified(x, b);
      if (x.chunk().hash().equals(h)) {
        if (uses.getOrDefault(h, 0) > 1) {
          kept.put(h, got);
        }
        used(h);
        return got;
      }
      if (uses.getOrDefault(x.chunk().hash(), 0) > 0) {
        kept.put(x.chunk().hash(), got); // asked for a later file, arrived before (its first user was skipped)
      }
    }
  }

  /** Takes in the replies still due (the batch was applied without them, or failed), so the stream never stalls. */
  void drain() throws IOException, InterruptedException {
    plan.clear();
    while (!inFlight.isEmpty()) {
      next(inFlight.peekFirst());
    }
  }

  private void used(Hash h) {
    Integer left = uses.get(h);
    if (left == null) {
      return;
    }
    if (left <= 1) {
      uses.remove(h);
      kept.remove(h);
    } else {
      uses.put(h, left - 1);
    }
  }

  /** Asks for planned chunks, file by file, while fewer than {@link #AHEAD_BYTES} are outstanding. */
  private void askAhead() {
    while (!plan.isEmpty() && inFlightBytes < AHEAD_BYTES) {
      String path = plan.peekFirst().path();
      List<ChunkRef> ask = new ArrayList<>();
      long bytes = 0;
      while (!plan.isEmpty() && plan.peekFirst().path().equals(path) && bytes < REQUEST_BYTES) {
        ChunkRef c = plan.pollFirst().chunk();
        if (uses.containsKey(c.hash()) && !kept.containsKey(c.hash()) && !inFlightCount.containsKey(c.hash())) {
          ask.add(c);
          bytes += c.length();
        }
      }
      if (!ask.isEmpty() && !gone.contains(path)) {
        ask(path, ask);
      }
    }
  }

  private void ask(String path, List<ChunkRef> chunks) {
    long request = asker.ask(path, chunks.stream().map(ChunkRef::hash).toList());
    for (ChunkRef c : chunks) {
      inFlight.addLast(new Expected(request, path, c));
      inFlightCount.merge(c.hash(), 1, Integer::sum);
      inFlightBytes += c.length();
    }
  }

  /** The bytes of {@code x}, the oldest chunk in flight; null when its request came back "gone". */
  private ByteString next(Expected x) throws IOException, InterruptedException {
    while (arrived.isEmpty() || arrivedRequest != x.request()) {
      Reply r = replies.take();
      if (r.request() != x.request()) {
        continue; // a reply to a request of an earlier batch or file that was drained
      }
      if (r.gone()) {
        gone.add(x.path());
        while (!inFlight.isEmpty() && inFlight.peekFirst().request() == r.request()) {
          landed(inFlight.pollFirst());
        }
        return null;
      }
      arrived = new ArrayDeque<>(r.data());
      arrivedRequest = r.request();
    }
    landed(inFlight.pollFirst());
    return arrived.pollFirst();
  }

  private void landed(Expected x) {
    inFlightBytes -= x.chunk().length();
    inFlightCount.computeIfPresent(x.chunk().hash(), (k, n) -> n <= 1 ? null : n - 1);
  }

  private ChunkData verified(Expected x, ByteString b) throws IOException {
    // Hashed and later written straight from the parsed message: no copy of the chunk is made.
    if (b.size() != x.chunk().length() || !Hash.of(b).equals(x.chunk().hash())) {
      throw new IOException("a chunk of " + x.path() + " from " + primary + " does not match its hash "
          + x.chunk().hash() + "; the file was left as it was");
    }
    counter.received(b.size());
    return new ChunkData.Buffer(b.asReadOnlyByteBuffer());
  }
}
