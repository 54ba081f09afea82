package tandem.filesync;

import java.io.IOException;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.FileSystemException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchEvent;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * A recursive watch of a replicated tree (inotify on Linux, through {@link WatchService}) that
 * tells its listener which paths to rescan.
 *
 * <p>Every directory that is not excluded is watched. A directory created later is watched as soon
 * as its creation is seen, and reported itself: files created in it before the watch was in place
 * raised no event, so the owner must scan the new directory as a whole (the {@link Scanner} walks
 * a new directory recursively).
 *
 * <p><b>Coalescing.</b> Events are gathered until the tree has been quiet for {@code quiet}
 * (default 5 ms), but for no longer than {@code maxDelay} (default 50 ms) after the first, so a
 * steady stream of writes is still delivered at that pace; then {@link Listener#changed} gets the
 * set of paths. When events were lost (the kernel's queue overflowed, a directory could not be
 * watched, the root went away) the listener gets {@link Listener#overflow} instead and must do a
 * full rescan.
 *
 * <p><b>Threads.</b> The listener is called on the watcher's own thread, one call at a time; while
 * it runs, events queue up (inotify keeps them, up to its queue limit, then overflows).
 *
 * <p><b>Renames.</b> inotify watches follow a directory's inode, so when a watched directory is
 * moved within the tree its watch is found again on registration under the new name, and the
 * paths of it and its subdirectories are updated.
 */
public final class Watcher implements AutoCloseable {
  private static final System.Logger LOG = System.getLogger(Watcher.class.getName());
  /** The default quiet window. */
  public static final Duration QUIET = Duration.ofMillis(5);
  /** The default longest wait after the first event of a batch. */
  public static final Duration MAX_DELAY = Duration.ofMillis(50);
  private static final String WATCH_LIMIT = "/proc/sys/fs/inotify/max_user_watches";

  /** Receives what the watcher saw. Called on the watcher's thread; should not throw. */
  public interface Listener {
    /** These paths (relative to the root) were created, changed, moved or deleted: rescan them. */
    void changed(Set<String> relPaths);

    /** Events were lost, for {@code reason}: rescan the whole tree. */
    void overflow(String reason);
  }

  private final Path root;
  private final Excludes excludes;
  private final Listener listener;
  private final long quietNanos;
  private final long maxDelayNanos;
  private final WatchService service;
  private final Map<WatchKey, String> dirs = new HashMap<>(); // only the watcher's thread, after start
  private final Thread thread;
  private volatile boolean closed;
  private String lost; // why events were lost in the current batch, or null

  private Watcher(Path root, Excludes excludes, Listener listener, Duration quiet, Duration maxDelay)
      throws IOException {
    if (quiet.isNegative() || maxDelay.compareTo(quiet) < 0) {
      throw new IllegalArgumentException("watcher windows must satisfy 0 <= quiet <= maxDelay, got quiet=" + quiet
          + " maxDelay=" + maxDelay);
    }
    this.root = root;
    this.excludes = excludes;
    this.listener = listener;
    this.quietNanos = quiet.toNanos();
    this.maxDelayNanos = maxDelay.toNanos();
    this.service = root.getFileSystem().newWatchService();
    this.thread = Thread.ofPlatform().daemon().name("filesync-watch " + root).unstarted(this::run);
  }

  /** Watches {@code root} with the default windows ({@link #QUIET}, {@link #MAX_DELAY}). */
  public static Watcher start(Path root, Excludes excludes, Listener listener) throws IOException {
    return start(root, excludes, listener, QUIET, MAX_DELAY);
  }

  /**
   * Watches every non-excluded directory under {@code root} and starts delivering.
   *
   * @throws IOException when the tree cannot be watched at all, e.g. the inotify watch limit is too
   *     low (the message names the setting); the owner should fall back to periodic full scans
   */
  public static Watcher start(Path root, Excludes excludes, Listener listener, Duration quiet, Duration maxDelay)
      throws IOException {
    Watcher watcher = new Watcher(root, excludes, listener, quiet, maxDelay);
    try {
      watcher.watchTree("");
      if (watcher.lost != null) {
        throw new IOException(watcher.lost);
      }
    } catch (IOException | RuntimeException e) {
      watcher.service.close();
      throw e;
    }
    watcher.thread.start();
    return watcher;
  }

  /** Stops watching; the listener is not called after this returns (unless called from the listener). */
  @Override
  public void close() {
    closed = true;
    try {
      service.close(); // wakes the thread from take()
    } catch (IOException e) {
      LOG.log(System.Logger.Level.WARNING, "closing the watch of " + root + " failed", e);
    }
    if (Thread.currentThread() != thread) {
      try {
        thread.join(); // returns quickly: the thread leaves as soon as the service is closed
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  /** True while the watcher's thread runs. */
  boolean running() {
    return thread.isAlive();
  }

  private void run() {
    try {
      while (!closed) {
        WatchKey key = service.take();
        long first = System.nanoTime();
        long last = first;
        Set<String> paths = new HashSet<>();
        while (key != null) {
          handle(key, paths);
          last = System.nanoTime();
          long wait = Math.min(last + quietNanos, first + maxDelayNanos) - last;
          key = wait > 0 ? service.poll(wait, TimeUnit.NANOSECONDS) : service.poll();
        }
        deliver(paths);
      }
    } catch (ClosedWatchServiceException | InterruptedException e) {
      // closed: nothing more to deliver
    }
  }

  private void deliver(Set<String> paths) {
    if (closed) {
      return;
    }
    String reason = lost;
    lost = null;
    try {
      if (reason != null) {
        listener.overflow(reason); // a full rescan covers the paths too
      } else if (!paths.isEmpty()) {
        listener.changed(paths);
      }
    } catch (RuntimeException e) {
      LOG.log(System.Logger.Level.ERROR, "the listener of the watch of " + root + " threw; the watch goes on", e);
    }
  }

  private void handle(WatchKey key, Set<String> paths) {
    String dir = dirs.get(key);
    for (WatchEvent<?> event : key.pollEvents()) {
      if (event.kind() == StandardWatchEventKinds.OVERFLOW) {
        lost = "the inotify event queue of " + root + " overflowed, events were lost (raise"
            + " /proc/sys/fs/inotify/max_queued_events if this repeats)";
        continue;
      }
      if (dir != null) {
        event(dir, (Path) event.context(), event.kind(), paths);
      }
    }
    if (!key.reset()) {
      dirs.remove(key);
      if ("".equals(dir)) {
        lost = "the replicated root " + root + " was deleted or moved away; nothing under it is watched";
      }
    }
  }

  private void event(String dir, Path name, WatchEvent.Kind<?> kind, Set<String> paths) {
    String rel = dir.isEmpty() ? name.toString() : dir + "/" + name;
    boolean isDir = Files.isDirectory(root.resolve(rel), LinkOption.NOFOLLOW_LINKS);
    if (excludes.excludedHere(rel, isDir)) {
      return;
    }
    paths.add(rel);
    if (kind == StandardWatchEventKinds.ENTRY_CREATE && isDir) {
      watchTree(rel);
    } else if (kind == StandardWatchEventKinds.ENTRY_DELETE && !isDir) {
      forget(rel);
    }
  }

  /** Watches directory {@code rel} and every non-excluded directory under it. */
  private void watchTree(String rel) {
    try {
      Files.walkFileTree(root.resolve(rel), new SimpleFileVisitor<>() {
        @Override
        public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) {
          String sub = relative(dir);
          if (!sub.isEmpty() && excludes.excludedHere(sub, true)) {
            return FileVisitResult.SKIP_SUBTREE;
          }
          return watch(dir, sub) ? FileVisitResult.CONTINUE : FileVisitResult.TERMINATE;
        }

        @Override
        public FileVisitResult visitFileFailed(Path file, IOException e) {
          return FileVisitResult.CONTINUE; // gone again already, or unreadable: the scanner reports it
        }
      });
    } catch (IOException e) {
      LOG.log(System.Logger.Level.DEBUG, "could not walk new directory " + rel + " of " + root, e);
    }
  }

  /** Registers one directory; returns false when the watch limit is reached. */
  private boolean watch(Path dir, String rel) {
    WatchKey key;
    try {
      key = dir.register(service, StandardWatchEventKinds.ENTRY_CREATE, StandardWatchEventKinds.ENTRY_DELETE,
          StandardWatchEventKinds.ENTRY_MODIFY);
    } catch (IOException e) {
      if (isWatchLimit(e)) {
        lost = "cannot watch " + dir + ": " + e.getMessage() + "; raise the limit in " + WATCH_LIMIT
            + " (sysctl fs.inotify.max_user_watches) or exclude large directories; until then only full scans"
            + " see changes";
        return false;
      }
      return true; // deleted or unreadable meanwhile; the scanner sees and reports it
    }
    String old = dirs.put(key, rel);
    if (old != null && !old.equals(rel)) {
      moved(old, rel); // the same inode under a new name: a rename within the tree
    }
    return true;
  }

  private static boolean isWatchLimit(IOException e) {
    String message = String.valueOf(e.getMessage());
    return message.contains("inotify") || message.contains("No space left") || message.contains("limit")
        || (e instanceof FileSystemException f && String.valueOf(f.getReason()).contains("No space left"));
  }

  /** Renames the watched paths under {@code from} to be under {@code to}. */
  private void moved(String from, String to) {
    for (Map.Entry<WatchKey, String> e : dirs.entrySet()) {
      String rel = e.getValue();
      if (rel.startsWith(from + "/")) {
        e.setValue(to + rel.substring(from.length()));
      }
    }
  }

  /** Stops watching {@code rel} and what was under it, if it is really gone (not renamed: see moved). */
  private void forget(String rel) {
    dirs.entrySet().removeIf(e -> {
      boolean under = e.getValue().equals(rel) || e.getValue().startsWith(rel + "/");
      if (under) {
        e.getKey().cancel();
      }
      return under;
    });
  }

  private String relative(Path dir) {
    return root.relativize(dir).toString();
  }
}
