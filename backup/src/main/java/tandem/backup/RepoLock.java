package tandem.backup;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * A lock on a repository: a file under {@code locks/}, in a directory or an S3 bucket alike.
 * Backups take shared locks (several may run at once: they only add); forget and prune take an
 * exclusive one. A lock is stale, and ignored, when its process is gone (same host) or when it was
 * not refreshed for {@link #STALE}; the holder refreshes it every {@link #REFRESH}. So a killed
 * backup never blocks the next one for long, which is restic's most common complaint.
 *
 * <p>Each holder writes a new file under a random name, then lists {@code locks/}: no
 * create-if-absent is needed, only that a list sees the files written before it (true of a
 * directory, and of AWS S3, MinIO and Garage, which are strongly consistent). Two holders that
 * lock at once both see each other and at least one backs off.
 */
public final class RepoLock implements AutoCloseable {
  static final Duration STALE = Duration.ofMinutes(30);
  static final Duration REFRESH = Duration.ofMinutes(5);

  private final Store store;
  private final String file;
  private final Model.Lock lock;
  private final ScheduledExecutorService refresher;

  private RepoLock(Store store, String file, Model.Lock lock) {
    this.store = store;
    this.file = file;
    this.lock = lock;
    this.refresher = Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().daemon().name("backup-lock").factory());
    refresher.scheduleAtFixedRate(this::refresh, REFRESH.toSeconds(), REFRESH.toSeconds(), TimeUnit.SECONDS);
  }

  /** Takes a lock on the repository in directory {@code repo}, or throws naming who holds a conflicting one. */
  public static RepoLock acquire(Path repo, boolean exclusive, String purpose) throws IOException {
    Files.createDirectories(repo.resolve("locks"));
    return acquire(new LocalStore(repo), exclusive, purpose);
  }

  /** Takes a lock, or throws naming who holds a conflicting one and what to do. */
  public static RepoLock acquire(Store store, boolean exclusive, String purpose) throws IOException {
    Model.Lock mine = new Model.Lock(host(), ProcessHandle.current().pid(), Instant.now().toString(), exclusive, purpose);
    String file = "locks/" + Durable.hex(Crypto.random(16));
    store.write(file, Repository.JSON.writeValueAsBytes(mine));
    // Written first, then checked: two processes that lock at once both see each other and at
    // least one backs off (both, at worst), never neither.
    List<String> conflicts = new ArrayList<>();
    for (Store.Entry other : store.list("locks")) {
      if (other.name().equals(file)) {
        continue;
      }
      Model.Lock l;
      try {
        l = Repository.JSON.readValue(store.read(other.name()), Model.Lock.class);
      } catch (IOException gone) {
        continue;
      }
      if (stale(l)) {
        store.delete(other.name());
        continue;
      }
      if (exclusive || l.exclusive()) {
        conflicts.add(l.purpose() + " by pid " + l.pid() + " on " + l.host() + " since " + l.time() + " ("
            + store.describe(other.name()) + ")");
      }
    }
    if (!conflicts.isEmpty()) {
      store.delete(file);
      throw new LockedException("the repository " + store + " is locked: " + String.join("; ", conflicts)
          + ". Wait for it to finish; a lock whose process died is ignored after " + STALE.toMinutes()
          + " minutes, or at once on the same host");
    }
    return new RepoLock(store, file, mine);
  }

  static boolean stale(Model.Lock l) {
    Instant at;
    try {
      at = Instant.parse(l.time());
    } catch (RuntimeException e) {
      return true;
    }
    if (at.plus(STALE).isBefore(Instant.now())) {
      return true;
    }
    return l.host().equals(host()) && ProcessHandle.of(l.pid()).map(p -> !p.isAlive()).orElse(true);
  }

  private void refresh() {
    try {
      Model.Lock now = new Model.Lock(lock.host(), lock.pid(), Instant.now().toString(), lock.exclusive(), lock.purpose());
      store.write(file, Repository.JSON.writeValueAsBytes(now));
    } catch (IOException e) {
      // The next refresh tries again; a lock that cannot be refreshed goes stale, which is safe for others.
    }
  }

  static String host() {
    try {
      return java.net.InetAddress.getLocalHost().getHostName();
    } catch (IOException e) {
      return "localhost";
    }
  }

  @Override
  public void close() throws IOException {
    refresher.shutdownNow();
    try {
      // A refresh under way would write the file again after the delete.
      refresher.awaitTermination(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    store.delete(file);
  }

  /** Another process holds a conflicting lock. */
  public static final class LockedException extends IOException {
    LockedException(String message) {
      super(message);
    }
  }
}
