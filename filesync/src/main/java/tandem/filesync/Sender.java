package tandem.filesync;

import com.google.protobuf.UnsafeByteOperations;
import io.grpc.Channel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tandem.core.Event;
import tandem.core.EventSink;
import tandem.core.Level;
import tandem.transport.proto.SyncEntry;

/**
 * The primary side of one replicated directory: watches the tree, rescans what changed, and keeps
 * one {@link ReplicaLink} per replica. The watcher starts before the first full scan, so nothing
 * written during the scan is missed; a periodic full rescan catches what the watcher could not
 * see (an overflow, changes made while the agent was down) and says so.
 */
public final class Sender implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(Sender.class);
  private static final Object FULL = new Object();
  private static final Object PERIODIC = new Object();
  private static final long PEERS_REFRESH_MILLIS = 2000;

  private final String self;
  private final String group;
  private final int resource;
  private final LocalTree tree;
  private final SyncPeers peers;
  private final Function<SyncPeers.Peer, Channel> channels;
  private final EventSink events;
  private final Duration rescan;
  private final Duration coalesce;
  private final LinkedBlockingQueue<Object> work = new LinkedBlockingQueue<>();
  private final Map<String, ReplicaLink> links = new LinkedHashMap<>();
  private final Map<String, Pending> pending = new HashMap<>();
  private volatile long epoch;
  private volatile boolean running;
  private Thread scanThread;
  private Watcher watcher;

  /** A version of a path waiting for every replica's acknowledgement before it counts as synced. */
  private static final class Pending {
    final FileEntry version;
    final Set<String> acked = new HashSet<>();

    Pending(FileEntry version) {
      this.version = version;
    }
  }

  public Sender(String self, String group, int resource, LocalTree tree, SyncPeers peers,
      Function<SyncPeers.Peer, Channel> channels, EventSink events, Duration rescan, Duration coalesce) {
    this.self = self;
    this.group = group;
    this.resource = resource;
    this.tree = tree;
    this.peers = peers;
    this.channels = channels;
    this.events = events;
    this.rescan = rescan;
    this.coalesce = coalesce;
  }

  String group() {
    return group;
  }

  int resource() {
    return resource;
  }

  long epoch() {
    return epoch;
  }

  LocalTree tree() {
    return tree;
  }

  /** Starts sending under {@code epoch}: watch, full scan, then one stream per replica. Returns at once. */
  public synchronized void start(long newEpoch) throws IOException {
    if (running && epoch == newEpoch) {
      return;
    }
    stop();
    this.epoch = newEpoch;
    running = true;
    work.clear();
    watcher = Watcher.start(tree.root(), tree.excludes(), new Watcher.Listener() {
      @Override
      public void changed(Set<String> paths) {
        work.add(paths);
      }

      @Override
      public void overflow(String reason) {
        emit(Level.WARNING, "rescan", "the file watcher lost track (" + reason + "); walking the whole tree");
        work.add(FULL);
      }
    }, coalesce, Watcher.MAX_DELAY);
    work.add(FULL);
    scanThread = Thread.ofPlatform().name("filesync-scan-" + group).daemon().start(this::scanLoop);
  }

  /** Stops sending (this node is no longer primary); the index is saved. */
  public synchronized void stop() {
    if (!running) {
      return;
    }
    running = false;
    watcher.close();
    scanThread.interrupt();
    List<ReplicaLink> all;
    synchronized (links) {
      all = new ArrayList<>(links.values());
      links.clear();
    }
    all.forEach(ReplicaLink::stop);
    for (ReplicaLink l : all) {
      try {
        l.join();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    try {
      scanThread.join(10_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    tree.saveQuietly();
  }

  public boolean running() {
    return running;
  }

  @Override
  public void close() {
    stop();
  }

  /** Each replica's progress. */
  public List<ReplicaProgress> status() {
    long entries = tree.index().size();
    long bytes = tree.index().totalBytes();
    synchronized (links) {
      return links.values().stream().map(l -> l.progress(entries, bytes)).toList();
    }
  }

  private void scanLoop() {
    long nextPeers = 0;
    long nextRescan = System.currentTimeMillis() + rescan.toMillis();
    boolean first = true;
    while (running) {
      try {
        long now = System.currentTimeMillis();
        if (now >= nextPeers) {
          refreshLinks();
          nextPeers = now + PEERS_REFRESH_MILLIS;
        }
        if (now >= nextRescan) {
          work.add(PERIODIC);
          nextRescan = now + rescan.toMillis();
        }
        Object item = work.poll(Math.min(PEERS_REFRESH_MILLIS, Math.max(1, nextRescan - now)), TimeUnit.MILLISECONDS);
        if (item == null) {
          continue;
        }
        Set<String> paths = new HashSet<>();
        boolean full = false;
        boolean periodic = false;
        for (Object o = item; o != null; o = work.poll()) {
          if (o == FULL || o == PERIODIC) {
            full = true;
            periodic |= o == PERIODIC;
          } else {
            @SuppressWarnings("unchecked")
            Set<String> s = (Set<String>) o;
            paths.addAll(s);
          }
        }
        long changedAt = System.currentTimeMillis();
        Scanner scanner = new Scanner(tree.root(), tree.index(), tree.excludes()).early(early -> {
          tree.changed();
          synchronized (links) {
            links.values().forEach(l -> l.dirty(early, changedAt));
          }
        });
        ScanResult r = full ? scanner.full() : scanner.paths(paths);
        List<String> touched = new ArrayList<>();
        r.changed().forEach(e -> touched.add(e.path()));
        touched.addAll(r.deleted());
        if (!touched.isEmpty()) {
          tree.changed();
          synchronized (links) {
            links.values().forEach(l -> l.dirty(touched, changedAt));
          }
        }
        if (periodic && !touched.isEmpty()) {
          emit(Level.WARNING, "rescan-found-changes", "the periodic rescan found " + touched.size()
              + " changed paths the watcher had missed; they are being sent now");
        }
        if (full && first) {
          first = false;
          tree.saveQuietly();
        }
      } catch (InterruptedException e) {
        return;
      } catch (IOException | RuntimeException e) {
        LOG.warn("scanning {} failed: {}", tree.root(), e.toString());
        emit(Level.WARNING, "scan-failed", "scanning " + tree.root() + " failed: " + e.getMessage());
      }
    }
  }

  /** Starts a link to each replica the cluster lists now, stops links to nodes that left. */
  private void refreshLinks() {
    List<SyncPeers.Peer> want = peers.replicas(group);
    synchronized (links) {
      if (!running) {
        return; // stop() took the links meanwhile; a link started now would never be stopped
      }
      Set<String> names = new HashSet<>();
      for (SyncPeers.Peer p : want) {
        names.add(p.name());
        ReplicaLink have = links.get(p.name());
        if (have != null && have.peer().equals(p)) {
          continue;
        }
        if (have != null) {
          have.stop();
        }
        ReplicaLink l = new ReplicaLink(this, p, channels.apply(p));
        links.put(p.name(), l);
        l.start();
      }
      links.keySet().removeIf(n -> {
        if (!names.contains(n)) {
          links.get(n).stop();
          return true;
        }
        return false;
      });
    }
  }

  /** The wire form of a recorded entry; small files carry their bytes when unchanged since indexed. */
  SyncEntry entry(Recorded r, long changedAtMillis) {
    return entry(r, changedAtMillis, true);
  }

  /**
   * The wire form of a recorded entry; with {@code inline}, small files carry their bytes when
   * unchanged since indexed. A full comparison after a reconnect leaves them out for entries every
   * replica has acknowledged (the replica holds them; one that does not asks for the chunks), so a
   * network blip does not send every small file again.
   */
  SyncEntry entry(Recorded r, long changedAtMillis, boolean inline) {
    FileEntry e = r.entry();
    SyncEntry.Builder b = Wire.toWire(e).setChangedAtMs(changedAtMillis);
    if (inline && e.kind() == Kind.FILE && e.size() > 0 && e.size() <= Wire.INLINE_MAX) {
      try {
        Path file = tree.root().resolve(e.path());
        byte[] data = Files.readAllBytes(file);
        if (data.length == e.size() && r.stat().equals(tree.stat(e.path()))) {
          b.setInlineData(UnsafeByteOperations.unsafeWrap(data)); // a fresh array, never touched again
        }
      } catch (IOException gone) {
        // Changed or removed since it was indexed: sent without its bytes; a newer entry follows.
      }
    }
    return b.build();
  }

  /** A replica acknowledged a version: once all replicas have it, it is synced (no conflict copy needed on failback). */
  void acked(String replica, String path, FileEntry version) {
    Set<String> expected;
    synchronized (links) {
      expected = new HashSet<>(links.keySet());
    }
    synchronized (pending) {
      if (version == null) {
        pending.remove(path);
        return;
      }
      Recorded now = tree.index().recorded(path);
      if (now == null || now.synced() || !now.entry().equals(version)) {
        return;
      }
      Pending p = pending.get(path);
      if (p == null || !p.version.equals(version)) {
        p = new Pending(version);
        pending.put(path, p);
      }
      p.acked.add(replica);
      if (p.acked.containsAll(expected)) {
        tree.index().setSynced(path, version);
        pending.remove(path);
        tree.changed();
      }
    }
  }

  void progress(String replica, ReplicaProgress p) {
    double eta = p.etaSeconds();
    emit(Level.INFO, "initial-sync-progress", String.format(java.util.Locale.ROOT,
        "initial sync to %s: %d of %d entries, %.1f of %.1f MiB (%.0f%%), %.1f MiB/s, ETA %s", replica,
        p.initialDoneEntries(), p.initialTotalEntries(), p.initialDoneBytes() / 1048576.0, p.initialTotalBytes() / 1048576.0,
        p.initialTotalBytes() == 0 ? 100.0 : 100.0 * p.initialDoneBytes() / p.initialTotalBytes(), p.bytesPerSecond() / 1048576.0,
        eta < 0 ? "unknown" : Math.round(eta) + " s"));
  }

  void linkFailed(String replica, String why) {
    emit(Level.WARNING, "sync-interrupted", "file sync to " + replica + " stopped: " + why + "; retrying");
  }

  private void emit(Level level, String kind, String message) {
    events.emit(new Event(Instant.now(), level, kind, self, group, message));
  }
}
