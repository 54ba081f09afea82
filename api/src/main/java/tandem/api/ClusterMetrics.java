package tandem.api;

import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.Unit;
import java.time.Duration;
import tandem.alert.Notifier;
import tandem.backup.BackupScheduler;
import tandem.cluster.ClusterState;
import tandem.cluster.GroupState;
import tandem.cluster.Member;
import tandem.cluster.NodeReport;
import tandem.failover.FailoverHistory;
import tandem.health.CheckState;
import tandem.health.CheckStatus;
import tandem.health.HealthReport;

/**
 * The /metrics families about the cluster and this node's duties: roles, epochs, leases, checks, failovers, backups
 * and alerts. Group and node values come from the replicated state, so every node shows the same; checks, backups and
 * alerts are this node's own.
 */
final class ClusterMetrics {
  /** Buckets for the time a group had no primary: a switchover takes well under a second, a failover a few. */
  static final double[] GAP_BUCKETS = {0.25, 0.5, 1, 2, 3, 5, 10, 20, 30, 60, 120, 300};

  private ClusterMetrics() {}

  static void register(PrometheusRegistry registry, ApiServer.Wiring w) {
    groups(registry, w);
    checks(registry, w);
    failovers(registry, w.metrics().failovers());
    backups(registry, w);
    alerts(registry, w);
  }

  private static void groups(PrometheusRegistry registry, ApiServer.Wiring w) {
    GaugeWithCallback.builder().name("tandem_raft_leader").help("1 on the node that is the Raft leader")
        .labelNames("node").callback(cb -> cb.call(w.self().equals(w.cluster().leader()) ? 1 : 0, w.self()))
        .register(registry);
    GaugeWithCallback.builder().name("tandem_group_primary")
        .help("1 for the node the cluster names primary of the group, 0 for its other nodes").labelNames("group", "node")
        .callback(cb -> eachMember(w, (s, g, m) -> cb.call(m.equals(g.primary()) ? 1 : 0, g.name(), m))).register(registry);
    GaugeWithCallback.builder().name("tandem_group_running")
        .help("1 while the node reports the group's resources running under the current epoch").labelNames("group", "node")
        .callback(cb -> eachMember(w, (s, g, m) -> {
          NodeReport r = s.report(m, g.name());
          cb.call(r != null && r.running() && r.runningEpoch() == g.epoch() ? 1 : 0, g.name(), m);
        })).register(registry);
    GaugeWithCallback.builder().name("tandem_group_node_healthy")
        .help("1 while the node reports no critical check failing for the group").labelNames("group", "node")
        .callback(cb -> eachMember(w, (s, g, m) -> {
          NodeReport r = s.report(m, g.name());
          cb.call(r != null && r.passing() ? 1 : 0, g.name(), m);
        })).register(registry);
    GaugeWithCallback.builder().name("tandem_group_epoch").help("The group's epoch: it grows at every change of primary")
        .labelNames("group").callback(cb -> {
          for (GroupState g : w.cluster().state().groups().values()) {
            cb.call(g.epoch(), g.name());
          }
        }).register(registry);
    GaugeWithCallback.builder().name("tandem_group_paused").help("1 while automatic failover of the group is paused")
        .labelNames("group").callback(cb -> {
          for (GroupState g : w.cluster().state().groups().values()) {
            cb.call(g.paused() ? 1 : 0, g.name());
          }
        }).register(registry);
    GaugeWithCallback.builder().name("tandem_group_lease_remaining_seconds")
        .help("The primary's lease left: exact on the primary, estimated from the applied renewals elsewhere")
        .labelNames("group", "node").callback(cb -> {
          if (w.coordinator() == null) {
            return;
          }
          for (GroupState g : w.cluster().state().groups().values()) {
            if (g.hasPrimary()) {
              Duration left = w.self().equals(g.primary()) ? w.coordinator().leaseRemaining(g.name())
                  : w.coordinator().leaseSeen(g.name());
              if (left != null) {
                cb.call(Math.max(0, left.toMillis()) / 1000.0, g.name(), g.primary());
              }
            }
          }
        }).register(registry);
  }

  private interface MemberValue {
    void accept(ClusterState s, GroupState g, String member);
  }

  private static void eachMember(ApiServer.Wiring w, MemberValue v) {
    ClusterState s = w.cluster().state();
    for (GroupState g : s.groups().values()) {
      for (Member m : s.members().values()) {
        if (!m.witness() && !"off".equals(g.modeOf(m.name()))) {
          v.accept(s, g, m.name());
        }
      }
    }
  }

  private static void checks(PrometheusRegistry registry, ApiServer.Wiring w) {
    String[] labels = {"group", "check", "kind"};
    GaugeWithCallback.builder().name("tandem_check_passing")
        .help("This node's checks: 1 passing, 0 failing; absent before the verdict").labelNames(labels).callback(cb -> {
          for (HealthReport r : w.metrics().checks().get()) {
            for (CheckStatus c : r.checks()) {
              if (c.state() != CheckState.UNKNOWN) {
                cb.call(c.state() == CheckState.PASSING ? 1 : 0, r.group(), c.name(), c.kind());
              }
            }
          }
        }).register(registry);
    GaugeWithCallback.builder().name("tandem_check_failures_in_a_row")
        .help("Runs of the check that failed since it last passed").labelNames(labels).callback(cb -> {
          for (HealthReport r : w.metrics().checks().get()) {
            for (CheckStatus c : r.checks()) {
              cb.call(c.failuresInARow(), r.group(), c.name(), c.kind());
            }
          }
        }).register(registry);
  }

  private static void failovers(PrometheusRegistry registry, FailoverHistory history) {
    CounterWithCallback.builder().name("tandem_failovers").help("Promotions that replaced a group's primary (lease"
        + " lapsed, critical check, forced) since this agent started").labelNames("group").callback(cb -> {
          for (FailoverHistory.Counts c : history.counts()) {
            cb.call(c.failovers(), c.group());
          }
        }).register(registry);
    CounterWithCallback.builder().name("tandem_switchovers").help("Planned moves of a group's primary since this agent"
        + " started").labelNames("group").callback(cb -> {
          for (FailoverHistory.Counts c : history.counts()) {
            cb.call(c.switchovers(), c.group());
          }
        }).register(registry);
    GaugeWithCallback.builder().name("tandem_primary_gap_last_seconds")
        .help("How long the group had no running primary at its last move").labelNames("group").callback(cb -> {
          for (FailoverHistory.Counts c : history.counts()) {
            cb.call(c.lastGapSeconds(), c.group());
          }
        }).register(registry);
    Histogram gaps = Histogram.builder().name("tandem_primary_gap_seconds").unit(Unit.SECONDS)
        .help("Time from the old primary's last known hold of the group (last renewal, or the switchover request) until"
            + " the new primary ran it").labelNames("group", "kind").classicUpperBounds(GAP_BUCKETS)
        .classicOnly().register(registry);
    history.onGap(g -> gaps.labelValues(g.group(), g.kind()).observe(g.seconds()));
  }

  private static void backups(PrometheusRegistry registry, ApiServer.Wiring w) {
    CounterWithCallback.builder().name("tandem_backup_runs").help("Backup runs the agent took on this node since it"
        + " started (scheduled, or asked by `tandem backup run`), by result").labelNames("backup", "result").callback(cb -> {
          for (BackupScheduler.Totals t : w.metrics().backups().get()) {
            cb.call(t.succeeded(), t.backup(), "success");
            cb.call(t.failed(), t.backup(), "failure");
          }
        }).register(registry);
    GaugeWithCallback.builder().name("tandem_backup_last_success_timestamp_seconds")
        .help("When the newest successful run of the backup on this node ended (Unix time)").labelNames("backup")
        .callback(cb -> {
          for (BackupScheduler.Totals t : w.metrics().backups().get()) {
            if (t.lastSuccess() != null) {
              cb.call(t.lastSuccess().toEpochMilli() / 1000.0, t.backup());
            }
          }
        }).register(registry);
    lastRun(registry, w, "tandem_backup_last_ok", "1 when the last run on this node worked", r -> r.ok() ? 1 : 0);
    lastRun(registry, w, "tandem_backup_last_duration_seconds", "How long the last run took", r -> r.seconds());
    lastRun(registry, w, "tandem_backup_last_read_bytes", "File and dump bytes the last run read", r -> r.bytes());
    lastRun(registry, w, "tandem_backup_last_stored_bytes", "Bytes the last run added to the repository", r -> r.stored());
    lastRun(registry, w, "tandem_backup_last_files", "Files the last run read", r -> r.files());
  }

  private static void lastRun(PrometheusRegistry registry, ApiServer.Wiring w, String name, String help,
      java.util.function.ToDoubleFunction<BackupScheduler.LastRun> value) {
    GaugeWithCallback.builder().name(name).help(help).labelNames("backup").callback(cb -> {
      for (BackupScheduler.Totals t : w.metrics().backups().get()) {
        if (t.last() != null) {
          cb.call(value.applyAsDouble(t.last()), t.backup());
        }
      }
    }).register(registry);
  }

  private static void alerts(PrometheusRegistry registry, ApiServer.Wiring w) {
    String[] labels = {"target", "type"};
    alertCounter(registry, w, "tandem_alerts_delivered", "Alerts delivered to the target", labels,
        Notifier.TargetStats::delivered);
    alertCounter(registry, w, "tandem_alerts_failed_attempts", "Delivery attempts that failed (each is retried)", labels,
        Notifier.TargetStats::failedAttempts);
    alertCounter(registry, w, "tandem_alerts_dropped", "Alerts dropped because the target's queue was full", labels,
        Notifier.TargetStats::dropped);
    GaugeWithCallback.builder().name("tandem_alerts_queued").help("Alerts waiting for the target").labelNames(labels)
        .callback(cb -> w.metrics().alerts().get().forEach(t -> cb.call(t.queued(), t.target(), t.kind())))
        .register(registry);
    GaugeWithCallback.builder().name("tandem_alert_target_failing").help("1 while deliveries to the target fail")
        .labelNames(labels).callback(cb -> w.metrics().alerts().get().forEach(t -> cb.call(t.failing() ? 1 : 0,
            t.target(), t.kind()))).register(registry);
  }

  private static void alertCounter(PrometheusRegistry registry, ApiServer.Wiring w, String name, String help,
      String[] labels, java.util.function.ToDoubleFunction<Notifier.TargetStats> value) {
    CounterWithCallback.builder().name(name).help(help).labelNames(labels).callback(cb -> {
      for (Notifier.TargetStats t : w.metrics().alerts().get()) {
        cb.call(value.applyAsDouble(t), t.target(), t.kind());
      }
    }).register(registry);
  }
}
