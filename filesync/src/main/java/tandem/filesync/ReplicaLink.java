package tandem.filesync;

import com.google.protobuf.UnsafeByteOperations;
import io.grpc.Channel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.StandardOpenOption;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import tandem.transport.proto.FileSyncGrpc;
import tandem.transport.proto.SyncBatch;
import tandem.transport.proto.SyncChunkList;
import tandem.transport.proto.SyncChunks;
import tandem.transport.proto.SyncDown;
import tandem.transport.proto.SyncEntry;
import tandem.transport.proto.SyncNeed;
import tandem.transport.proto.SyncOpen;
import tandem.transport.proto.SyncUp;

/**
 * The primary's stream to one replica: a full comparison after every (re)connect, then the
 * paths the scanner found changed, in batches, at most {@link #WINDOW} unacknowledged; chunk
 * requests are served first so a replica waiting for a big file is never starved. Runs on its
 * own thread; reconnects with backoff until stopped.
 */
final class ReplicaLink {
  static final int WINDOW = 4;
  private static final int BATCH_ENTRIES = 4000;
  /**
   * About this much message per batch. Each batch of many small files costs the replica two syncfs(2)
   * waits, so fewer, larger batches apply them sooner: 20,000 files of 1-16 KiB go in 11 batches
   * instead of 21 at 8 MiB (bench/RESULTS.md, files run 4). WINDOW of them in flight; one entry more
   * than this (a 64 KiB inline file or a 3.6 MB chunk list part) stays under the 32 MiB message limit.
   */
  private static final int BATCH_BYTES = 16 << 20;
  private static final int CHUNKS_BYTES = 1 << 20;
  private static final int ON_READY_BYTES = 4 << 20;
  /** Chunks in one part of a long chunk list (36 bytes each on the wire: about 3.6 MB). */
  static final int LIST_PART_CHUNKS = 100_000;
  /** {@link #LIST_PART_CHUNKS}, lowered by tests to split lists of files of a few MiB. */
  static volatile int listPartChunks = LIST_PART_CHUNKS;

  private final Sender sender;
  private final SyncPeers.Peer peer;
  private final Channel channel;
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition wake = lock.newCondition();
  // Guarded by lock.
  private final TreeMap<String, Long> dirty = new TreeMap<>();
  private final ArrayDeque<SyncNeed> needs = new ArrayDeque<>();
  private final Map<Long, Sent> unacked = new LinkedHashMap<>();
  private boolean broken;
  private String brokenWhy = "";
  private boolean stopped;
  private String state = "connecting";
  private String lastError = "";
  private long fullTotalEntries;
  private long fullTotalBytes;
  private long fullDoneEntries;
  private long fullDoneBytes;
  private final ArrayDeque<long[]> rate = new ArrayDeque<>();
  private Thread thread;
  private ByteBuffer sendBuffer; // only the link's thread
  private static final long PROGRESS_EVERY_MILLIS = 10_000;
  private volatile long lastProgressMillis = System.currentTimeMillis();

  /** A batch in flight: its paths with the version sent (null for a delete), its bytes, its oldest change. */
  private record Sent(List<String> paths, List<FileEntry> versions, long bytes, long oldestChangeMillis, boolean full) {}

  ReplicaLink(Sender sender, SyncPeers.Peer peer, Channel channel) {
    this.sender = sender;
    this.peer = peer;
    this.channel = channel;
  }

  SyncPeers.Peer peer() {
    return peer;
  }

  void start() {
    thread = Thread.ofVirtual().name("filesync-send-" + sender.group() + "-" + peer.name()).start(this::run);
  }

  void stop() {
    signal(() -> stopped = true);
    if (thread != null) {
      thread.interrupt();
    }
  }

  void join() throws InterruptedException {
    if (thread != null) {
      thread.join(TimeUnit.SECONDS.toMillis(10));
    }
  }

  /** Paths the scanner found changed (or gone) at {@code changedAtMillis}. */
  void dirty(Iterable<String> paths, long changedAtMillis) {
    signal(() -> paths.forEach(p -> dirty.putIfAbsent(p, changedAtMillis)));
  }

  private void signal(Runnable change) {
    lock.lock();
    try {
      change.run();
      wake.signalAll();
    } finally {
      lock.unlock();
    }
  }

  private void run() {
    long backoffMillis = 100;
    while (!isStopped()) {
      try {
        session();
        backoffMillis = 100;
      } catch (InterruptedException e) {
        return;
      } catch (RuntimeException | IOException e) {
        String why = e instanceof StatusRuntimeException s ? describe(s.getStatus()) : e.toString();
        lock.lock();
        try {
          state = "disconnected";
          if (!why.equals(lastError)) {
            sender.linkFailed(peer.name(), why);
          }
          lastError = why;
        } finally {
          lock.unlock();
        }
      }
      if (channel instanceof io.grpc.ManagedChannel managed) {
        // The channel's own reconnect backoff grows to minutes while a replica is down; ours is shorter.
        managed.resetConnectBackoff();
      }
      if (!pause(backoffMillis)) {
        return;
      }
      backoffMillis = Math.min(5000, backoffMillis * 2);
    }
  }

  private static String describe(Status s) {
    return s.getCode() + (s.getDescription() == null ? "" : ": " + s.getDescription());
  }

  private boolean pause(long millis) {
    lock.lock();
    try {
      long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
      while (!stopped) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          return true;
        }
        wake.awaitNanos(left);
      }
      return false;
    } catch (InterruptedException e) {
      return false;
    } finally {
      lock.unlock();
    }
  }

  private boolean isStopped() {
    lock.lock();
    try {
      return stopped;
    } finally {
      lock.unlock();
    }
  }

  /** One stream: open, full comparison, then changes until the stream breaks or the link stops. */
  private void session() throws InterruptedException, IOException {
    Index index = sender.tree().index();
    long totalEntries = index.size();
    long totalBytes = index.totalBytes();
    lock.lock();
    try {
      broken = false;
      unacked.clear();
      needs.clear();
      state = "initial-sync";
      fullTotalEntries = totalEntries;
      fullTotalBytes = totalBytes;
      fullDoneEntries = 0;
      fullDoneBytes = 0;
    } finally {
      lock.unlock();
    }
    // Opened only after the reset above: a call that fails at once must leave broken set.
    ClientCallStreamObserver<SyncUp> call = open();
    long epoch = sender.epoch();
    call.onNext(SyncUp.newBuilder().setOpen(SyncOpen.newBuilder().setGroup(sender.group())
        .setResource(sender.resource()).setEpoch(epoch).setFull(true).setTotalEntries(totalEntries)
        .setTotalBytes(totalBytes)).build());
    FullCursor fullIt = new FullCursor(index);
    long seq = 0;
    boolean endSent = false;
    try {
      while (true) {
        SyncNeed need;
        boolean sendFull;
        lock.lock();
        try {
          while (!stopped && !broken && needs.isEmpty()
              && (unacked.size() >= WINDOW || (endSent ? dirty.isEmpty() : false))) {
            if (endSent && unacked.isEmpty() && dirty.isEmpty() && !"in-sync".equals(state)) {
              state = "in-sync";
            }
            wake.await();
          }
          if (stopped) {
            call.onCompleted();
            return;
          }
          if (broken) {
            throw new IOException(brokenWhy);
          }
          need = needs.poll();
          sendFull = need == null && !endSent;
          if (need == null && endSent) {
            state = "behind";
          }
        } finally {
          lock.unlock();
        }
        awaitReady(call);
        if (need != null) {
          serve(call, need, epoch);
        } else if (sendFull) {
          endSent = sendFullBatch(call, fullIt, ++seq, epoch);
        } else {
          sendDirtyBatch(call, ++seq, epoch);
        }
      }
    } catch (InterruptedException e) {
      call.cancel("link stopped", null);
      throw e;
    }
  }

  private ClientCallStreamObserver<SyncUp> open() {
    var holder = new Object() {
      ClientCallStreamObserver<SyncUp> call;
    };
    // Several chunk messages may queue in the transport before the link waits for it to drain.
    FileSyncGrpc.newStub(channel).withOnReadyThreshold(ON_READY_BYTES).sync(new ClientResponseObserver<SyncUp, SyncDown>() {
      @Override
      public void beforeStart(ClientCallStreamObserver<SyncUp> requestStream) {
        holder.call = requestStream;
        requestStream.setOnReadyHandler(() -> signal(() -> { }));
      }

      @Override
      public void onNext(SyncDown m) {
        switch (m.getBodyCase()) {
          case NEED -> signal(() -> needs.add(m.getNeed()));
          case ACK -> acked(m.getAck().getSeq());
          default -> { }
        }
      }

      @Override
      public void onError(Throwable t) {
        String why = t instanceof StatusRuntimeException s ? describe(s.getStatus()) : t.toString();
        signal(() -> {
          broken = true;
          brokenWhy = why;
        });
      }

      @Override
      public void onCompleted() {
        signal(() -> {
          broken = true;
          brokenWhy = "the replica closed the stream";
        });
      }
    });
    return holder.call;
  }

  private void awaitReady(ClientCallStreamObserver<SyncUp> call) throws InterruptedException, IOException {
    lock.lock();
    try {
      while (!call.isReady() && !broken && !stopped) {
        wake.await(100, TimeUnit.MILLISECONDS);
      }
      if (broken) {
        throw new IOException(brokenWhy);
      }
    } finally {
      lock.unlock();
    }
  }

  /** Walks the index in path order, a page at a time, so a million entries are never copied at once. */
  private static final class FullCursor {
    private final Index index;
    private List<Recorded> page = List.of();
    private int next;
    private String after;
    private boolean done;

    FullCursor(Index index) {
      this.index = index;
    }

    boolean hasNext() {
      if (next < page.size()) {
        return true;
      }
      if (done) {
        return false;
      }
      page = index.page(after, BATCH_ENTRIES);
      next = 0;
      done = page.isEmpty();
      return !done;
    }

    Recorded next() {
      Recorded r = page.get(next++);
      after = r.entry().path();
      return r;
    }
  }

  private boolean sendFullBatch(ClientCallStreamObserver<SyncUp> call, FullCursor it, long seq, long epoch)
      throws InterruptedException, IOException {
    SyncBatch.Builder b = SyncBatch.newBuilder().setEpoch(epoch).setSeq(seq);
    List<String> paths = new ArrayList<>();
    List<FileEntry> versions = new ArrayList<>();
    long bytes = 0;
    long payload = 0;
    while (it.hasNext() && paths.size() < BATCH_ENTRIES && payload < BATCH_BYTES) {
      Recorded r = it.next();
      SyncEntry whole = sender.entry(r, System.currentTimeMillis(), !r.synced());
      b.addEntries(listApart(call, whole, epoch));
      paths.add(r.entry().path());
      versions.add(r.entry());
      bytes += r.entry().size();
      payload += whole.getSerializedSize(); // a list sent apart counts too: it is in flight with the batch
    }
    boolean end = !it.hasNext();
    b.setEndOfIndex(end);
    track(seq, new Sent(paths, versions, bytes, System.currentTimeMillis(), true));
    call.onNext(SyncUp.newBuilder().setBatch(b).build());
    return end;
  }

  /** Sends changed paths in path order, up to {@link #BATCH_ENTRIES} or about {@link #BATCH_BYTES} of message. */
  private void sendDirtyBatch(ClientCallStreamObserver<SyncUp> call, long seq, long epoch)
      throws InterruptedException, IOException {
    SyncBatch.Builder b = SyncBatch.newBuilder().setEpoch(epoch).setSeq(seq);
    List<String> paths = new ArrayList<>();
    java.util.Set<String> inBatch = new java.util.HashSet<>();
    List<FileEntry> versions = new ArrayList<>();
    long bytes = 0;
    long payload = 0;
    long oldest = Long.MAX_VALUE;
    while (paths.size() < BATCH_ENTRIES && payload < BATCH_BYTES) {
      Map.Entry<String, Long> e;
      lock.lock();
      try {
        e = dirty.pollFirstEntry();
      } finally {
        lock.unlock();
      }
      if (e == null) {
        break;
      }
      if (!inBatch.add(e.getKey())) {
        // Changed again while this batch was assembled: its newer version goes in the next batch,
        // never twice in one (the replica would judge the second copy against the first).
        signal(() -> dirty.merge(e.getKey(), e.getValue(), Math::min));
        break;
      }
      Recorded r = sender.tree().index().recorded(e.getKey());
      SyncEntry w = r == null ? Wire.deleted(e.getKey(), e.getValue()) : sender.entry(r, e.getValue());
      b.addEntries(listApart(call, w, epoch));
      payload += w.getSerializedSize();
      paths.add(e.getKey());
      versions.add(r == null ? null : r.entry());
      bytes += r == null ? 0 : r.entry().size();
      oldest = Math.min(oldest, e.getValue());
    }
    track(seq, new Sent(paths, versions, bytes, oldest, false));
    call.onNext(SyncUp.newBuilder().setBatch(b).build());
  }

  /**
   * An entry whose chunk list is longer than {@link #LIST_PART_CHUNKS} (a file of several GiB) would
   * make its batch too big for one message: its list is sent ahead in parts, and the entry goes in
   * the batch without it, marked {@code chunks_follow}.
   */
  private SyncEntry listApart(ClientCallStreamObserver<SyncUp> call, SyncEntry e, long epoch)
      throws InterruptedException, IOException {
    int n = e.getChunkLengthsCount();
    if (n <= listPartChunks) {
      return e;
    }
    for (int from = 0; from < n; from += listPartChunks) {
      int to = Math.min(n, from + listPartChunks);
      awaitReady(call);
      call.onNext(SyncUp.newBuilder().setChunkList(SyncChunkList.newBuilder().setEpoch(epoch).setPath(e.getPath())
          .setChunkHashes(e.getChunkHashes().substring(from * Hash.BYTES, to * Hash.BYTES))
          .addAllChunkLengths(e.getChunkLengthsList().subList(from, to))).build());
    }
    return e.toBuilder().clearChunkHashes().clearChunkLengths().setChunksFollow(true).build();
  }

  private void track(long seq, Sent sent) {
    lock.lock();
    try {
      unacked.put(seq, sent);
    } finally {
      lock.unlock();
    }
  }

  private void acked(long seq) {
    Sent s;
    lock.lock();
    try {
      s = unacked.remove(seq);
      if (s == null) {
        return;
      }
      if (s.full()) {
        fullDoneEntries += s.paths().size();
        fullDoneBytes += s.bytes();
      }
      long now = System.currentTimeMillis();
      rate.add(new long[] {now, s.bytes()});
      while (!rate.isEmpty() && rate.peekFirst()[0] < now - 5000) {
        rate.pollFirst();
      }
      wake.signalAll();
    } finally {
      lock.unlock();
    }
    for (int i = 0; i < s.paths().size(); i++) {
      sender.acked(peer.name(), s.paths().get(i), s.versions().get(i));
    }
    if (s.full()) {
      reportProgress();
    }
  }

  /** During an initial sync, an event every {@link #PROGRESS_EVERY_MILLIS}: done, rate, ETA. */
  private void reportProgress() {
    long now = System.currentTimeMillis();
    if (now - lastProgressMillis < PROGRESS_EVERY_MILLIS) {
      return;
    }
    lastProgressMillis = now;
    ReplicaProgress p = progress(sender.tree().index().size(), sender.tree().index().totalBytes());
    if (p.initialTotalEntries() > 0) {
      sender.progress(peer.name(), p);
    }
  }

  /** Sends the chunks a replica asked for, read from the file as indexed; "gone" if it changed since. */
  private void serve(ClientCallStreamObserver<SyncUp> call, SyncNeed need, long epoch)
      throws IOException, InterruptedException {
    Recorded r = sender.tree().index().recorded(need.getPath());
    List<Hash> wanted;
    try {
      wanted = Wire.hashes(need.getHashes());
    } catch (BadMessageException e) {
      throw new IOException("replica " + peer.name() + " sent a bad request: " + e.getMessage());
    }
    Map<Hash, long[]> where = new HashMap<>();
    if (r != null && r.entry().kind() == Kind.FILE && r.stat().equals(sender.tree().stat(need.getPath()))) {
      long offset = 0;
      for (ChunkRef c : r.entry().chunks()) {
        where.putIfAbsent(c.hash(), new long[] {offset, c.length()});
        offset += c.length();
      }
    }
    if (!wanted.stream().allMatch(where::containsKey)) {
      call.onNext(SyncUp.newBuilder().setChunks(SyncChunks.newBuilder().setEpoch(epoch)
          .setRequest(need.getRequest()).setGone(true)).build());
      return;
    }
    try (FileChannel ch = FileChannel.open(sender.tree().root().resolve(need.getPath()), StandardOpenOption.READ,
        java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
      SyncChunks.Builder msg = SyncChunks.newBuilder().setEpoch(epoch).setRequest(need.getRequest());
      ByteBuffer buf = sendBuffer();
      for (Hash h : wanted) {
        long[] at = where.get(h);
        if (buf.remaining() < at[1]) {
          sendChunks(call, msg);
          msg = SyncChunks.newBuilder().setEpoch(epoch).setRequest(need.getRequest());
          buf.clear();
        }
        ByteBuffer chunk = buf.slice(buf.position(), (int) at[1]);
        while (chunk.hasRemaining() && ch.read(chunk, at[0] + chunk.position()) >= 0) {
          // read until full or end of file
        }
        buf.position(buf.position() + chunk.position());
        // Handed to protobuf without a copy: gRPC serializes the message inside onNext, before the
        // buffer is filled again.
        msg.addData(UnsafeByteOperations.unsafeWrap(chunk.flip()));
      }
      if (msg.getDataCount() > 0) {
        sendChunks(call, msg);
      }
    } catch (java.nio.file.NoSuchFileException e) {
      call.onNext(SyncUp.newBuilder().setChunks(SyncChunks.newBuilder().setEpoch(epoch)
          .setRequest(need.getRequest()).setGone(true)).build());
    }
  }

  /**
   * The buffer chunks are read into before they are sent: one per link, reused for every message,
   * so serving a 1 GiB file allocates nothing per chunk and the heap holds at most one message's
   * worth of chunk bytes per replica. Direct, so a read lands in it without a copy.
   */
  private ByteBuffer sendBuffer() {
    if (sendBuffer == null) {
      sendBuffer = ByteBuffer.allocateDirect(CHUNKS_BYTES + Chunker.MAX_SIZE);
    }
    return sendBuffer.clear();
  }

  private void sendChunks(ClientCallStreamObserver<SyncUp> call, SyncChunks.Builder msg)
      throws InterruptedException, IOException {
    awaitReady(call);
    call.onNext(SyncUp.newBuilder().setChunks(msg).build());
  }

  ReplicaProgress progress(long indexEntries, long indexBytes) {
    lock.lock();
    try {
      long behindEntries = dirty.size();
      long behindBytes = 0;
      long oldest = dirty.isEmpty() ? Long.MAX_VALUE : dirty.values().stream().mapToLong(Long::longValue).min().orElseThrow();
      for (String p : dirty.keySet()) {
        Recorded r = sender.tree().index().recorded(p);
        behindBytes += r == null ? 0 : r.entry().size();
      }
      for (Sent s : unacked.values()) {
        if (!s.full()) {
          behindEntries += s.paths().size();
          behindBytes += s.bytes();
          oldest = Math.min(oldest, s.oldestChangeMillis());
        }
      }
      boolean initial = "initial-sync".equals(state);
      if (initial || "connecting".equals(state) || "disconnected".equals(state)) {
        behindEntries = Math.max(behindEntries, indexEntries - fullDoneEntries);
        behindBytes = Math.max(behindBytes, indexBytes - fullDoneBytes);
      }
      long now = System.currentTimeMillis();
      double seconds = oldest == Long.MAX_VALUE ? 0 : Math.max(0, now - oldest) / 1000.0;
      long window = rate.isEmpty() ? 0 : rate.stream().mapToLong(x -> x[1]).sum();
      double perSecond = rate.isEmpty() ? 0 : window / Math.max(1.0, (now - rate.peekFirst()[0]) / 1000.0);
      return new ReplicaProgress(peer.name(), state, Math.max(0, indexEntries - behindEntries),
          Math.max(0, indexBytes - behindBytes), behindEntries, behindBytes, seconds, perSecond,
          initial ? fullTotalEntries : 0, initial ? fullTotalBytes : 0, initial ? fullDoneEntries : 0,
          initial ? fullDoneBytes : 0, lastError);
    } finally {
      lock.unlock();
    }
  }
}
