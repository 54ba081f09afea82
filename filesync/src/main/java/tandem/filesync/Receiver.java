package tandem.filesync;

import com.google.protobuf.ByteString;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.LongPredicate;
import tandem.core.Event;
import tandem.core.EventSink;
import tandem.core.Level;
import tandem.transport.proto.SyncAck;
import tandem.transport.proto.SyncBatch;
import tandem.transport.proto.SyncChunkList;
import tandem.transport.proto.SyncChunks;
import tandem.transport.proto.SyncDown;
import tandem.transport.proto.SyncEntry;
import tandem.transport.proto.SyncNeed;
import tandem.transport.proto.SyncOpen;
import tandem.transport.proto.SyncUp;

/**
 * The replica side of one replicated directory: applies what the primary's stream says, one
 * stream at a time. Entries are applied in order on one worker thread; chunks the replica cannot
 * find in its own tree are asked for and checked against their hash before use. A batch is
 * acknowledged only once applied (fsynced); an error ends the stream, and the primary's next
 * stream starts with a full comparison, so nothing is skipped.
 */
public final class Receiver implements AutoCloseable {
  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(Receiver.class);
  /** Messages the primary may have in flight to this replica (each at most a few MiB). */
  static final int INBOUND_WINDOW = 16;
  private static final long CHUNK_WAIT_SECONDS = 60;
  /** Up to this many small files in a batch are applied one by one, more in parallel. */
  private static final int ONE_BY_ONE = 4;

  private final String self;
  private final String group;
  private final LocalTree tree;
  private final EventSink events;
  private final AtomicReference<Session> current = new AtomicReference<>();
  private final ReceiverStatus.Counters counters = new ReceiverStatus.Counters();

  public Receiver(String self, String group, LocalTree tree, EventSink events) {
    this.self = self;
    this.group = group;
    this.tree = tree;
    this.events = events;
  }

  /**
   * Starts receiving a stream the caller already authorized, replacing any older stream.
   *
   * @param stillCurrent tells whether an epoch is still the group's epoch in this node's view
   */
  Session open(SyncOpen open, String primaryName, ServerCallStreamObserver<SyncDown> out, LongPredicate stillCurrent) {
    Session s = new Session(open, primaryName, out, stillCurrent);
    Session old = current.getAndSet(s);
    if (old != null) {
      old.end(Status.ABORTED.withDescription("replaced by a newer stream from " + primaryName));
    }
    counters.connected(primaryName, open.getEpoch(), open.getFull(), open.getTotalEntries(), open.getTotalBytes());
    Thread.ofVirtual().name("filesync-receive-" + group).start(s::run);
    out.request(INBOUND_WINDOW);
    return s;
  }

  /** Ends the current stream, if any (this node is becoming the primary). */
  public void stopReceiving(String why) {
    Session s = current.getAndSet(null);
    if (s != null) {
      s.end(Status.FAILED_PRECONDITION.withDescription(why));
    }
  }

  public ReceiverStatus status() {
    Session s = current.get();
    return counters.snapshot(s != null && s.running());
  }

  @Override
  public void close() {
    stopReceiving("the replica " + self + " is shutting down");
  }

  private void emit(Level level, String kind, String message) {
    events.emit(new Event(Instant.now(), level, kind, self, group, message));
  }

  /** One stream from the primary. */
  final class Session {
    private static final Object END = new Object();
    private final SyncOpen open;
    private final String primary;
    private final ServerCallStreamObserver<SyncDown> out;
    private final LongPredicate stillCurrent;
    private final BlockingQueue<Object> batches = new LinkedBlockingQueue<>();
    private final BlockingQueue<Object> chunks = new LinkedBlockingQueue<>();
    private final AtomicLong requests = new AtomicLong();
    private volatile boolean ended;
    private Set<String> seen;
    private final Map<String, SyncEntry.Builder> lists = new HashMap<>();
    private long listedChunks;
    private final long startedNanos = System.nanoTime();

    Session(SyncOpen open, String primary, ServerCallStreamObserver<SyncDown> out, LongPredicate stillCurrent) {
      this.open = open;
      this.primary = primary;
      this.out = out;
      this.stillCurrent = stillCurrent;
      this.seen = open.getFull() ? new HashSet<>() : null;
    }

    boolean running() {
      return !ended;
    }

    /** A message from the gRPC thread: batches go to the worker in order, chunk replies to the waiting apply. */
    void onMessage(SyncUp m) {
      switch (m.getBodyCase()) {
        // Batches and chunk lists are let in as they arrive: the primary bounds them (WINDOW unacked
        // batches), and a batch blocked waiting for its chunk replies must not hold the credits those
        // replies need. Chunk replies are bounded by what this replica asked for, and let in as read.
        case BATCH -> {
          batches.add(m.getBatch());
          out.request(1);
        }
        case CHUNK_LIST -> {
          batches.add(m.getChunkList());
          out.request(1);
        }
        case CHUNKS -> chunks.add(m.getChunks());
        default -> fail(Status.INVALID_ARGUMENT.withDescription("unexpected " + m.getBodyCase() + " after the open"),
            "a " + m.getBodyCase() + " message in the middle of a stream");
      }
    }

    void onPeerGone() {
      ended = true;
      batches.add(END);
      chunks.add(END);
    }

    void end(Status status) {
      if (!ended) {
        ended = true;
        batches.add(END);
        chunks.add(END);
        synchronized (out) {
          try {
            out.onError(status.asRuntimeException());
          } catch (IllegalStateException alreadyClosed) {
            // The stream ended on its own meanwhile; nothing to tell.
          }
        }
      }
      current.compareAndSet(this, null);
    }

    private void fail(Status status, String why) {
      emit(Level.CRITICAL, "sync-refused", "refused a message from primary " + primary + ": " + why
          + "; nothing of it was written, and the stream was closed");
      end(status);
    }

    void run() {
      try {
        while (!ended) {
          Object next = batches.take();
          if (next == END) {
            break;
          }
          if (next instanceof SyncChunkList list) {
            collect(list);
          } else {
            apply((SyncBatch) next);
          }
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      } catch (BadMessageException e) {
        fail(Status.INVALID_ARGUMENT.withDescription(e.getMessage()), e.getMessage());
      } catch (IOException | RuntimeException e) {
        if (e instanceof RuntimeException) {
          LOG.warn("applying what {} sent failed", primary, e);
        }
        emit(Level.WARNING, "sync-apply-failed", "could not apply what primary " + primary + " sent: " + e.getMessage()
            + "; the stream restarts and compares the whole tree again");
        end(Status.INTERNAL.withDescription("replica " + self + " failed to apply: " + e.getMessage()));
      } finally {
        tree.saveQuietly();
      }
    }

    /** A part of the chunk list of a file too long to travel inside its entry; kept until its batch comes. */
    private void collect(SyncChunkList list) throws BadMessageException {
      if (list.getEpoch() != open.getEpoch()) {
        throw new BadMessageException("a chunk list under epoch " + list.getEpoch() + " in a stream of epoch " + open.getEpoch());
      }
      String path = Wire.checkedPath(list.getPath());
      if (list.getChunkHashes().size() != list.getChunkLengthsCount() * Hash.BYTES) {
        throw new BadMessageException(path + ": a chunk list part with " + list.getChunkHashes().size()
            + " bytes of hashes for " + list.getChunkLengthsCount() + " lengths");
      }
      SyncEntry.Builder b = lists.computeIfAbsent(path, k -> SyncEntry.newBuilder());
      listedChunks += list.getChunkLengthsCount();
      if (listedChunks > Wire.MAX_CHUNKS) {
        throw new BadMessageException(path + ": chunk lists of more than " + Wire.MAX_CHUNKS + " chunks before their batch");
      }
      b.setChunkHashes(b.getChunkHashes().concat(list.getChunkHashes())).addAllChunkLengths(list.getChunkLengthsList());
    }

    /** The entry with the chunk list that came ahead of its batch. */
    private SyncEntry withList(SyncEntry w) throws BadMessageException {
      SyncEntry.Builder list = lists.remove(Wire.checkedPath(w.getPath()));
      if (list == null) {
        throw new BadMessageException(w.getPath() + ": an entry whose chunk list was to come first, without that list");
      }
      listedChunks -= list.getChunkLengthsCount();
      return w.toBuilder().setChunkHashes(list.getChunkHashes()).addAllChunkLengths(list.getChunkLengthsList())
          .setChunksFollow(false).build();
    }

    private void apply(SyncBatch batch) throws BadMessageException, IOException, InterruptedException {
      if (batch.getEpoch() != open.getEpoch() || !stillCurrent.test(batch.getEpoch())) {
        emit(Level.WARNING, "sync-refused", "refused data from " + primary + " under epoch " + batch.getEpoch()
            + ": it is not the primary of " + group + " under that epoch any more");
        end(Status.FAILED_PRECONDITION.withDescription("epoch " + batch.getEpoch() + " is stale for " + group
            + " on " + self));
        return;
      }
      List<FileEntry> todo = new ArrayList<>();
      Map<Hash, ChunkData> inline = new HashMap<>();
      List<String> deletes = new ArrayList<>();
      int fetched = 0;
      long bytes = 0;
      for (SyncEntry w : batch.getEntriesList()) {
        if (w.getDeleted()) {
          deletes.add(Wire.checkedPath(w.getPath()));
          continue;
        }
        FileEntry e = Wire.fromWire(w.getChunksFollow() ? withList(w) : w);
        counters.received(w.getInlineData().size()); // counted whether needed or not: this is what crossed the wire
        if (seen != null) {
          seen.add(e.path());
        }
        if (tree.excluded(e.path(), e.kind() == Kind.DIR) || tree.upToDate(e)) {
          continue;
        }
        todo.add(e);
        bytes += e.size();
        if (e.kind() == Kind.FILE && !w.getInlineData().isEmpty() && e.chunks().size() == 1) {
          Hash h = e.chunks().getFirst().hash();
          // Hashed and later written straight from the parsed message, without a copy.
          if (!Hash.of(w.getInlineData()).equals(h)) {
            throw new BadMessageException(e.path() + ": inline data does not match its hash");
          }
          inline.put(h, new ChunkData.Buffer(w.getInlineData().asReadOnlyByteBuffer()));
        } else if (e.kind() == Kind.FILE && e.size() > 0) {
          fetched++;
        }
      }
      int conflicts = todo.size() > ONE_BY_ONE || fetched > 1 ? applyTogether(todo, inline) : applyOneByOne(todo, inline);
      int applied = todo.size();
      for (String path : deletes.reversed()) {
        conflicts += tree.delete(path);
        applied++;
      }
      if (batch.getEndOfIndex() && seen != null) {
        int removed = sweep();
        applied += removed;
        emit(Level.INFO, "initial-sync-done", "in sync with primary " + primary + " after "
            + (System.nanoTime() - startedNanos) / 1_000_000 + " ms: " + seen.size() + " entries compared, "
            + removed + " local paths the primary does not have handled");
        seen = null;
        counters.fullDone();
        tree.saveQuietly();
      }
      lists.clear(); // lists come just before their batch: any left over named no entry of it
      listedChunks = 0;
      counters.applied(applied, bytes, conflicts);
      send(SyncDown.newBuilder().setAck(SyncAck.newBuilder().setSeq(batch.getSeq()).setApplied(applied)
          .setConflicts(conflicts).setBytes(bytes)).build());
    }

    /**
     * Applies a batch of many entries together: the fsyncs of its files share journal commits, and
     * the chunks of the next files are fetched while the one before is written and fsynced.
     */
    private int applyTogether(List<FileEntry> todo, Map<Hash, ChunkData> inline)
        throws BadMessageException, IOException, InterruptedException {
      Prefetch fetch = prefetch(todo, inline);
      int conflicts = tree.applyAll(todo, fetch);
      fetch.drain();
      return conflicts;
    }

    /**
     * A few entries (the usual single change) one by one, each durable at once. A file's local
     * chunks are looked up just before it is written, so they are never read from a file an
     * earlier entry of the batch has just replaced.
     */
    private int applyOneByOne(List<FileEntry> todo, Map<Hash, ChunkData> inline)
        throws BadMessageException, IOException, InterruptedException {
      int conflicts = 0;
      for (FileEntry e : todo) {
        Prefetch fetch = prefetch(List.of(e), new HashMap<>(inline));
        conflicts += tree.apply(e, fetch);
        fetch.drain();
      }
      return conflicts;
    }

    /**
     * The chunks of {@code entries}' files: found in this node's tree where possible (a file already
     * at a path that the index does not know is indexed first), the rest fetched from the primary.
     */
    private Prefetch prefetch(List<FileEntry> entries, Map<Hash, ChunkData> have) throws IOException {
      List<FileEntry> files = entries.stream().filter(e -> e.kind() == Kind.FILE).toList();
      Map<String, Boolean> unchanged = new HashMap<>();
      for (FileEntry e : files) {
        if (e.chunks().stream().allMatch(c -> have.containsKey(c.hash()))) {
          continue;
        }
        tree.indexUnknown(e.path());
        unchanged.remove(e.path()); // just indexed: its stat is asked again
        for (ChunkRef c : e.chunks()) {
          if (!have.containsKey(c.hash())) {
            ChunkData d = tree.findLocally(c, unchanged);
            if (d != null) {
              have.put(c.hash(), d);
            }
          }
        }
      }
      return new Prefetch(primary, have, files, this::ask, this::reply, counters::received);
    }

    private long ask(String path, List<Hash> hashes) {
      long request = requests.incrementAndGet();
      send(SyncDown.newBuilder().setNeed(SyncNeed.newBuilder().setRequest(request).setPath(path)
          .setHashes(Wire.hashBytes(hashes))).build());
      return request;
    }

    private Prefetch.Reply reply() throws IOException, InterruptedException {
      Object m = chunks.poll(CHUNK_WAIT_SECONDS, TimeUnit.SECONDS);
      if (m == null || m == END) {
        throw new IOException(m == null ? "no chunk from " + primary + " in " + CHUNK_WAIT_SECONDS + " s"
            : "the stream from " + primary + " ended");
      }
      out.request(1);
      SyncChunks c = (SyncChunks) m;
      return new Prefetch.Reply(c.getRequest(), c.getDataList(), c.getGone());
    }

    private void send(SyncDown m) {
      synchronized (out) {
        if (!ended) {
          out.onNext(m);
        }
      }
    }

    /** Paths on disk that the primary's full index did not list: removed (or kept as conflict copies). */
    private int sweep() throws IOException, BadMessageException {
      List<String> extra = new ArrayList<>();
      Path root = tree.root();
      Files.walkFileTree(root, new SimpleFileVisitor<>() {
        @Override
        public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) {
          if (dir.equals(root)) {
            return FileVisitResult.CONTINUE;
          }
          String rel = LocalTree.rel(root, dir);
          if (tree.excluded(rel, true)) {
            return FileVisitResult.SKIP_SUBTREE;
          }
          if (!seen.contains(rel)) {
            extra.add(rel);
          }
          return FileVisitResult.CONTINUE;
        }

        @Override
        public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
          String rel = LocalTree.rel(root, file);
          if (!tree.excluded(rel, false) && !seen.contains(rel)) {
            extra.add(rel);
          }
          return FileVisitResult.CONTINUE;
        }

        @Override
        public FileVisitResult visitFileFailed(Path file, IOException exc) {
          return exc instanceof NoSuchFileException ? FileVisitResult.CONTINUE : FileVisitResult.TERMINATE;
        }
      });
      int n = 0;
      for (String path : extra.reversed()) {
        if (Files.exists(root.resolve(path), LinkOption.NOFOLLOW_LINKS)) {
          tree.delete(path);
          n++;
        }
      }
      return n;
    }
  }
}
