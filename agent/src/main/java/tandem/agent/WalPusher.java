package tandem.agent;

import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import tandem.backup.WalPush;
import tandem.config.TandemConfig;
import tandem.core.Level;

/**
 * Pushes the PostgreSQL WAL spooled by archive_command into the repositories of the backups with
 * {@code pitr: on}, every few seconds: what a point-in-time recovery can reach trails the primary by
 * at most archive_timeout plus this period. A push that fails is a critical event (point-in-time
 * recovery stops advancing, and the spool grows), said once until a push works again.
 */
final class WalPusher implements AutoCloseable {
  static final Duration PERIOD = Duration.ofSeconds(5);
  private final TandemConfig cfg;
  private final Emit emit;
  private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
    Thread t = new Thread(r, "wal-push");
    t.setDaemon(true);
    return t;
  });
  private String failing;

  /** Where events go (the agent's event log). */
  @FunctionalInterface
  interface Emit {
    void emit(Level level, String kind, String group, String message);
  }

  WalPusher(TandemConfig cfg, Emit emit) {
    this.cfg = cfg;
    this.emit = emit;
  }

  /** Whether any backup archives WAL, so there is something to push. */
  static boolean needed(TandemConfig cfg) {
    return cfg.backups().values().stream().anyMatch(tandem.config.BackupConfig::pitr);
  }

  /**
   * The settings of {@code group}'s server {@code p}: the user's parameters, and with a backup of
   * the group with pitr: on, archiving into the spool this pusher empties.
   */
  static java.util.Map<String, String> serverParameters(TandemConfig cfg, String group, tandem.config.PostgresConfig p) {
    java.util.Map<String, String> out = new java.util.HashMap<>(p.parameters());
    if (cfg.backups().values().stream().anyMatch(b -> b.pitr() && b.groups().contains(group))) {
      out.putAll(tandem.db.postgres.WalArchive.parameters(p.data()));
      // A quiet server fills a WAL file slowly: without a switch now and then, recovery could not reach the last hour.
      out.putIfAbsent("archive_timeout", "60s");
    }
    return out;
  }

  void start() {
    timer.scheduleWithFixedDelay(this::pushOnce, PERIOD.toMillis(), PERIOD.toMillis(), TimeUnit.MILLISECONDS);
  }

  void pushOnce() {
    try {
      WalPush.all(cfg, null);
      if (failing != null) {
        emit.emit(Level.INFO, "wal-push-recovered", "", "archived WAL reaches the repository again (it failed: " + failing + ")");
        failing = null;
      }
    } catch (Exception e) {
      String why = e.getMessage() == null ? e.toString() : e.getMessage();
      if (failing == null) {
        emit.emit(Level.CRITICAL, "wal-push-failed", "", "cannot push archived PostgreSQL WAL into the backup repository: " + why
            + "; point-in-time recovery stops advancing and the spool grows until this is fixed");
      }
      failing = why;
    }
  }

  @Override
  public void close() {
    timer.shutdownNow();
  }
}
