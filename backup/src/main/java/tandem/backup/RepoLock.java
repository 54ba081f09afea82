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
 * A lock on a repository: a file under {@code locks/}. Backups take shared locks (several may run
 * at once: they only add); forget and prune take an exclusive one. A lock is stale, and ignored,
 * when its process is gone (same host) or when it was not refreshed for {@link #STALE}; the holder
 * refreshes it every {@link #REFRESH}. So a killed backup never blocks the next one for long, which
 * is restic's most common complaint.
 */
public final class RepoLock implements AutoCloseable {
  static final Duration STALE = Duration.ofMinutes(30);
  static final Duration REFRESH = Duration.ofMinutes(5);

  private final Path file;
  private final Model.Lock lock;
  private final ScheduledExecutorService refresher;

  private RepoLock(Path file, Model.Lock lock) {
    this.file = file;
    this.lock = lock;
    this.refresher = Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().daemon().name("backup-lock").factory());
    refresher.scheduleAtFixedRate(this::refresh, REFRESH.toSeconds(), REFRESH.toSeconds(), TimeUnit.SECONDS);
  }

  /** Takes a lock, or throws naming who holds a conflicting one and what to do. */
  public static RepoLock acquire(Path repo, boolean exclusive, String purpose) throws IOException {
    Path dir = repo.resolve("locks");
    Files.createDirectories(dir);
    Model.Lock mine = new Model.Lock(host(), ProcessHandle.current().pid(), Instant.now().toString(), exclusive, purpose);
    Path file = dir.resolve(Durable.hex(Crypto.random(16)));
    Durable.write(file, Repository.JSON.writeValueAsBytes(mine));
    // Written first, then checked: two processes that lock at once both see each other and at
    // least one backs off (both, at worst), never neither.
    List<String> conflicts = new ArrayList<>();
    for (Path other : others(dir, file)) {
      Model.Lock l;
      try {
        l = Repository.JSON.readValue(Files.readAllBytes(other), Model.Lock.class);
      } catch (IOException gone) {
        continue;
      }
      if (stale(l)) {
        Files.deleteIfExists(other);
        continue;
      }
      if (exclusive || l.exclusive()) {
        conflicts.add(l.purpose() + " by pid " + l.pid() + " on " + l.host() + " since " + l.time() + " (" + other + ")");
      }
    }
    if (!conflicts.isEmpty()) {
      Files.deleteIfExists(file);
      throw new LockedException("the repository " + repo + " is locked: " + String.join("; ", conflicts)
          + ". Wait for it to finish; a lock whose process died is ignored after " + STALE.toMinutes()
          + " minutes, or at once on the same host");
    }
    return new RepoLock(file, mine);
  }

  private static List<Path> others(Path dir, Path mine) throws IOException {
    try (var s = Files.list(dir)) {
      return s.filter(p -> !p.equals(mine) && !p.getFileName().toString().startsWith(".")).toList();
    }
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
      Durable.write(file, Repository.JSON.writeValueAsBytes(now));
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
    Files.deleteIfExists(file);
  }

  /** Another process holds a conflicting lock. */
  public static final class LockedException extends IOException {
    LockedException(String message) {
      super(message);
    }
  }
}
