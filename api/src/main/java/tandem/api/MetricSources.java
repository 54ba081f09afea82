package tandem.api;

import java.util.List;
import java.util.function.Supplier;
import tandem.alert.Notifier;
import tandem.backup.BackupScheduler;
import tandem.core.Ticker;
import tandem.failover.FailoverHistory;
import tandem.health.HealthReport;

/**
 * What /metrics reads besides the cluster state, files and databases; each supplier is called at scrape time.
 *
 * @param checks this node's health reports, one per local group
 * @param failovers the moves of primaries this node has applied
 * @param backups the scheduled backups' runs on this node
 * @param alerts each alert target's deliveries
 */
public record MetricSources(Supplier<List<HealthReport>> checks, FailoverHistory failovers,
    Supplier<List<BackupScheduler.Totals>> backups, Supplier<List<Notifier.TargetStats>> alerts) {

  /** Nothing to show beyond the cluster state. */
  public static MetricSources none() {
    return new MetricSources(List::of, new FailoverHistory(Ticker.system()), List::of, List::of);
  }
}
