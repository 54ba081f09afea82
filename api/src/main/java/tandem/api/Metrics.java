package tandem.api;

import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.List;
import java.util.function.Supplier;
import java.util.function.ToDoubleFunction;
import tandem.db.DbStatus;
import tandem.filesync.FilesStatus;
import tandem.filesync.ReplicaProgress;

/**
 * GET /metrics in the Prometheus text format, read at scrape time: file replication per replicated directory and per
 * replica (the same numbers as the {@code files} part of GET /api/v1/status), databases, each group's primary, epoch,
 * lease and pause as this node sees the cluster, this node's checks, failovers and switchovers with the time each
 * group had no primary, scheduled backups and alert deliveries ({@link ClusterMetrics}).
 */
final class Metrics {
  static final String CONTENT_TYPE = PrometheusTextFormatWriter.CONTENT_TYPE;
  private static final String[] DIR = {"group", "resource", "path"};
  private static final String[] REPLICA = {"group", "resource", "replica"};

  private final PrometheusRegistry registry = new PrometheusRegistry();
  private final PrometheusTextFormatWriter writer = PrometheusTextFormatWriter.create();
  private static final String[] DB = {"group", "resource", "kind", "role"};
  private static final String[] DB_REPLICA = {"group", "resource", "kind", "replica"};

  private final Supplier<List<FilesStatus>> files;
  private final Supplier<List<DbStatus>> databases;

  Metrics(ApiServer.Wiring w) {
    this.files = w.files();
    this.databases = w.databases();
    ClusterMetrics.register(registry, w);
    databaseMetrics();
    dirGauge("tandem_files_entries", "Entries (files, directories, links) in this node's index of the directory",
        f -> f.entries());
    dirGauge("tandem_files_bytes", "File bytes in this node's index of the directory", f -> f.bytes());
    dirGauge("tandem_files_sending", "1 while this node is the primary and sends the directory",
        f -> f.sending() ? 1 : 0);
    dirCounter("tandem_files_received_bytes", "File content received from the primary since the agent started",
        f -> f.receiver().receivedBytes());
    dirCounter("tandem_files_applied_entries", "Entries applied from the primary since the agent started",
        f -> f.receiver().appliedEntries());
    dirCounter("tandem_files_conflict_copies", "Local changes kept as conflict copies since the agent started",
        f -> f.receiver().conflicts());
    replicaGauge("tandem_files_replica_connected", "1 while the primary has a stream to the replica",
        r -> "disconnected".equals(r.state()) || "connecting".equals(r.state()) ? 0 : 1);
    replicaGauge("tandem_files_replica_initial_sync", "1 while a full comparison with the replica runs",
        r -> "initial-sync".equals(r.state()) ? 1 : 0);
    replicaGauge("tandem_files_replica_in_sync_entries", "Entries the replica has in their current version",
        ReplicaProgress::entriesInSync);
    replicaGauge("tandem_files_replica_in_sync_bytes", "Bytes the replica has in their current version",
        ReplicaProgress::bytesInSync);
    replicaGauge("tandem_files_replica_behind_entries", "Entries changed on the primary, not yet on the replica",
        ReplicaProgress::behindEntries);
    replicaGauge("tandem_files_replica_behind_bytes", "Bytes changed on the primary, not yet on the replica",
        ReplicaProgress::behindBytes);
    replicaGauge("tandem_files_replica_behind_seconds", "Age of the oldest change not yet on the replica",
        ReplicaProgress::behindSeconds);
    replicaGauge("tandem_files_replica_rate_bytes_per_second", "Bytes the replica acknowledged per second lately",
        ReplicaProgress::bytesPerSecond);
  }

  private void databaseMetrics() {
    GaugeWithCallback.builder().name("tandem_db_running").help("1 while this node's database server runs (as primary or replica)")
        .labelNames(DB).callback(cb -> {
          for (DbStatus d : databases.get()) {
            cb.call(d.state().equals("stopped") ? 0 : 1, dbLabels(d));
          }
        }).register(registry);
    GaugeWithCallback.builder().name("tandem_db_position_bytes").help("WAL position: the primary's current one, a replica's last received")
        .labelNames(DB).callback(cb -> {
          for (DbStatus d : databases.get()) {
            if (d.position() >= 0) {
              cb.call(d.position(), dbLabels(d));
            }
          }
        }).register(registry);
    GaugeWithCallback.builder().name("tandem_db_replay_lag_seconds").help("How far this replica's replay is behind, in seconds")
        .labelNames(DB).callback(cb -> {
          for (DbStatus d : databases.get()) {
            if (d.role().equals("replica") && d.lagSeconds() >= 0) {
              cb.call(d.lagSeconds(), dbLabels(d));
            }
          }
        }).register(registry);
    GaugeWithCallback.builder().name("tandem_db_last_copy_age_seconds").help("replication: dump: the age of this replica's"
        + " last completed copy, i.e. how much time of writes a failover to it now loses")
        .labelNames(DB).callback(cb -> {
          for (DbStatus d : databases.get()) {
            if (d.dumps() && d.role().equals("replica") && d.copiedAtMillis() > 0) {
              cb.call(Math.max(0, System.currentTimeMillis() - d.copiedAtMillis()) / 1000.0, dbLabels(d));
            }
          }
        }).register(registry);
    GaugeWithCallback.builder().name("tandem_db_dump_failing").help("replication: dump: 1 while this replica's last dump"
        + " failed (its previous copy stays)")
        .labelNames(DB).callback(cb -> {
          for (DbStatus d : databases.get()) {
            if (d.dumps() && d.role().equals("replica")) {
              cb.call(d.state().equals("dump-failing") ? 1 : 0, dbLabels(d));
            }
          }
        }).register(registry);
    GaugeWithCallback.builder().name("tandem_db_replica_lag_bytes").help("On the primary: WAL bytes each replica has not replayed yet")
        .labelNames(DB_REPLICA).callback(cb -> {
          for (DbStatus d : databases.get()) {
            for (DbStatus.ReplicaLag r : d.replicas()) {
              cb.call(Math.max(0, r.lagBytes()), d.group(), Integer.toString(d.resource()), d.kind(), r.node());
            }
          }
        }).register(registry);
    GaugeWithCallback.builder().name("tandem_db_replica_lag_seconds").help("On the primary: each replica's replay delay in seconds")
        .labelNames(DB_REPLICA).callback(cb -> {
          for (DbStatus d : databases.get()) {
            for (DbStatus.ReplicaLag r : d.replicas()) {
              cb.call(r.lagSeconds(), d.group(), Integer.toString(d.resource()), d.kind(), r.node());
            }
          }
        }).register(registry);
  }

  private static String[] dbLabels(DbStatus d) {
    return new String[] {d.group(), Integer.toString(d.resource()), d.kind(), d.role()};
  }

  /** The current values in the text format. */
  byte[] scrape() throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    writer.write(out, registry.scrape());
    return out.toByteArray();
  }

  private void dirGauge(String name, String help, ToDoubleFunction<FilesStatus> value) {
    GaugeWithCallback.builder().name(name).help(help).labelNames(DIR).callback(cb -> {
      for (FilesStatus f : files.get()) {
        cb.call(value.applyAsDouble(f), labels(f));
      }
    }).register(registry);
  }

  private void dirCounter(String name, String help, ToDoubleFunction<FilesStatus> value) {
    CounterWithCallback.builder().name(name).help(help).labelNames(DIR).callback(cb -> {
      for (FilesStatus f : files.get()) {
        cb.call(value.applyAsDouble(f), labels(f));
      }
    }).register(registry);
  }

  private void replicaGauge(String name, String help, ToDoubleFunction<ReplicaProgress> value) {
    GaugeWithCallback.builder().name(name).help(help).labelNames(REPLICA).callback(cb -> {
      for (FilesStatus f : files.get()) {
        for (ReplicaProgress r : f.replicas()) {
          cb.call(value.applyAsDouble(r), f.group(), Integer.toString(f.resource()), r.replica());
        }
      }
    }).register(registry);
  }

  private static String[] labels(FilesStatus f) {
    return new String[] {f.group(), Integer.toString(f.resource()), f.path()};
  }
}
