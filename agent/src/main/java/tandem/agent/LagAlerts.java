package tandem.agent;

import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import tandem.config.LagAlert;
import tandem.core.Durations;
import tandem.core.Event;
import tandem.core.EventSink;
import tandem.core.Level;
import tandem.db.DbStatus;
import tandem.filesync.FilesStatus;
import tandem.filesync.ReplicaProgress;

/**
 * Raises {@code replication-lag} (warning) when a replica falls further behind than {@code lag-alert:} allows, and
 * {@code replication-lag-cleared} once it is back under half the limit. Only the primary of a directory or database
 * judges, from what it knows of each replica, so one lagging replica is one event in the cluster. Each message starts
 * with the replica and what lags ("n2 (files /srv/www)"), which the alert rules use to tell conditions apart. Looks
 * every 5 s on a thread of its own (reading a database's status is a query that may hang).
 */
final class LagAlerts implements AutoCloseable {
  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(LagAlerts.class);
  private final java.util.concurrent.ScheduledExecutorService timer =
      java.util.concurrent.Executors.newSingleThreadScheduledExecutor(r -> Thread.ofPlatform().daemon().name("lag-alerts")
          .unstarted(r));
  private final String self;
  private final LagAlert limits;
  private final EventSink events;
  private final Set<String> over = new HashSet<>();

  LagAlerts(String self, LagAlert limits, EventSink events) {
    this.self = self;
    this.limits = limits;
    this.events = events;
  }

  void start(java.util.function.Supplier<List<FilesStatus>> files, java.util.function.Supplier<List<DbStatus>> databases) {
    timer.scheduleWithFixedDelay(() -> {
      try {
        check(files.get(), databases.get());
      } catch (RuntimeException e) {
        LOG.warn("checking replication lag failed: {}", e.toString());
      }
    }, 5, 5, java.util.concurrent.TimeUnit.SECONDS);
  }

  @Override
  public void close() {
    timer.shutdownNow();
  }

  /** Judges every replica this node is primary for; called from one thread at a time. */
  synchronized void check(List<FilesStatus> files, List<DbStatus> databases) {
    Set<String> seen = new HashSet<>();
    for (FilesStatus f : files) {
      if (!f.sending()) {
        continue;
      }
      for (ReplicaProgress r : f.replicas()) {
        String subject = r.replica() + " (files " + f.path() + ")";
        seen.add(f.group() + '\0' + subject);
        judge(f.group(), subject, r.behindSeconds(), limits.files(), r.behindEntries() + " entries and " + r.behindBytes()
            + " bytes not there yet, state " + r.state() + (r.lastError().isEmpty() ? "" : ", last error: " + r.lastError()));
      }
    }
    for (DbStatus d : databases) {
      if (!d.role().equals("primary")) {
        continue;
      }
      for (DbStatus.ReplicaLag r : d.replicas()) {
        String subject = r.node() + " (" + d.kind() + " " + d.group() + "[" + d.resource() + "])";
        seen.add(d.group() + '\0' + subject);
        judge(d.group(), subject, r.lagSeconds(), limits.database(), "replay " + Math.max(0, r.lagBytes())
            + " bytes behind, state " + r.state());
      }
    }
    // A replica this node no longer judges (it stopped being primary) is someone else's to report.
    over.retainAll(seen);
  }

  private void judge(String group, String subject, double seconds, Duration limit, String detail) {
    String key = group + '\0' + subject;
    double limitSeconds = limit.toMillis() / 1000.0;
    if (seconds > limitSeconds && over.add(key)) {
      emit(Level.WARNING, "replication-lag", group, subject + " is " + format(seconds) + " behind the primary, more than"
          + " lag-alert allows (" + Durations.format(limit) + "): " + detail);
    } else if (seconds <= limitSeconds / 2 && over.remove(key)) {
      emit(Level.INFO, "replication-lag-cleared", group, subject + " caught up: " + format(seconds) + " behind (" + detail
          + ")");
    }
  }

  private static String format(double seconds) {
    return Durations.format(Duration.ofMillis((long) (seconds * 1000)));
  }

  private void emit(Level level, String kind, String group, String message) {
    events.emit(new Event(Instant.now(), level, kind, self, group, message));
  }
}
