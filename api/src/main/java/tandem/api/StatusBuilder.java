package tandem.api;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import tandem.cluster.Cluster;
import tandem.cluster.ClusterState;
import tandem.cluster.GroupState;
import tandem.cluster.Member;
import tandem.cluster.NodeReport;
import tandem.db.DbStatus;
import tandem.failover.FailoverCoordinator;
import tandem.filesync.FilesStatus;

/** Builds {@link Status} from the agreed state and this node's own knowledge. */
final class StatusBuilder {
  private StatusBuilder() {}

  static Status build(String self, Cluster cluster, FailoverCoordinator coordinator, List<FilesStatus> files,
      List<DbStatus> databases) {
    ClusterState s = cluster.state();
    List<Status.NodeRow> nodes = s.members().values().stream()
        .map(m -> new Status.NodeRow(m.name(), m.nodeId(), m.listen(), m.api(), m.witness(), s.voters().contains(m.name())))
        .toList();
    Map<String, String> decisions = coordinator == null ? Map.of() : coordinator.decisions();
    List<Status.GroupRow> groups = new ArrayList<>();
    for (GroupState g : s.groups().values()) {
      // The leader's live sentence; elsewhere the last one it replicated.
      String why = decisions.getOrDefault(g.name(), g.decision() == null ? "" : g.decision());
      groups.add(group(self, s, g, why, coordinator, databases));
    }
    return new Status(s.cluster(), self, cluster.leader(), s.generation(), quorumNote(s), nodes, groups, files, databases);
  }

  /** A node's database lag as this node knows it: "" when unknown. */
  static String lag(String self, String node, String group, List<DbStatus> databases) {
    for (DbStatus d : databases) {
      if (!d.group().equals(group)) {
        continue;
      }
      if (node.equals(self) && d.dumps() && d.role().equals("replica")) {
        return dumpWindow(d.copiedAtMillis(), System.currentTimeMillis(), d.state().equals("dump-failing"));
      }
      if (node.equals(self)) {
        return d.role().equals("replica") ? seconds(d.lagSeconds()) + " (" + d.state() + ")" : d.role().equals("primary") ? "-" : "";
      }
      for (DbStatus.ReplicaLag r : d.replicas()) {
        if (r.node().equals(node) && isMy(d.kind())) {
          return r.state() + " (" + r.syncState() + ")";
        }
        if (r.node().equals(node)) {
          return bytes(r.lagBytes()) + ", " + seconds(r.lagSeconds());
        }
      }
    }
    return "";
  }

  /**
   * A MariaDB replica's lag also as its GTID distance: the primary's last reported position minus
   * the replica's (both GTID sequence numbers), e.g. "0.0 s (streaming), 3 tx behind". A MariaDB
   * primary cannot see its replicas' positions itself, so without it its rows say only "streaming".
   */
  static String gtidDistance(String lag, ClusterState s, GroupState g, String node, boolean primary, List<DbStatus> databases) {
    if (primary || databases.stream().noneMatch(d -> d.group().equals(g.name()) && isMy(d.kind()))) {
      return lag;
    }
    if (databases.stream().anyMatch(d -> d.group().equals(g.name()) && d.dumps())) {
      NodeReport r = s.report(node, g.name());
      // Another node's copy, as its last report says (a dump replica's position is its copy's time).
      return !lag.isEmpty() || r == null ? lag : dumpWindow(Math.max(0, r.position()), System.currentTimeMillis(), false);
    }
    NodeReport mine = s.report(node, g.name());
    NodeReport theirs = g.primary() == null ? null : s.report(g.primary(), g.name());
    if (mine == null || theirs == null || mine.position() <= 0 || theirs.position() <= 0) {
      return lag;
    }
    String tx = Math.max(0, theirs.position() - mine.position()) + " tx behind";
    return lag.isEmpty() || lag.startsWith("?, ?") ? tx : lag + ", " + tx;
  }

  /**
   * The data-loss window of a replica that copies by dumps, plainly: "replication: dump, last copy
   * 3m12s ago; a failover now loses up to 3m12s of writes".
   */
  static String dumpWindow(long copiedAtMillis, long nowMillis, boolean failing) {
    String failed = failing ? "; its last dump failed (see the db-dump-failed event)" : "";
    if (copiedAtMillis <= 0) {
      return "replication: dump, no copy yet; it cannot take over without losing every write" + failed;
    }
    long seconds = Math.max(0, nowMillis - copiedAtMillis) / 1000;
    String age = seconds < 60 ? seconds + "s" : tandem.core.Durations.format(Duration.ofSeconds(seconds));
    return "replication: dump, last copy " + age + " ago; a failover now loses up to " + age + " of writes" + failed;
  }

  private static String bytes(long b) {
    return b < 0 ? "?" : b < 10_240 ? b + " B" : b < 10L << 20 ? (b >> 10) + " KiB" : (b >> 20) + " MiB";
  }

  private static String seconds(double s) {
    return s < 0 ? "?" : String.format(java.util.Locale.ROOT, "%.1f s", s);
  }

  static String quorumNote(ClusterState s) {
    int voters = s.voters().size();
    boolean witness = s.voters().stream().map(s.members()::get).anyMatch(m -> m != null && m.witness());
    if (voters < 2) {
      return "impossible: a single node has nowhere to fail over to; join a second node and a witness";
    }
    if (voters == 2) {
      return "impossible: 2 voting nodes" + (witness ? "" : " and no witness")
          + " have no majority when one is lost; add a witness (`tandem init --witness` on a small third box, then `tandem join`),"
          + " or use `tandem failover <group> --to <node> --force` once you know the other node is down";
    }
    return "possible: " + voters + " voters" + (witness ? " incl. a witness" : "") + ", " + (voters / 2 + 1) + " make a majority";
  }

  private static Status.GroupRow group(String self, ClusterState s, GroupState g, String why, FailoverCoordinator c,
      List<DbStatus> databases) {
    List<Status.MemberRow> rows = new ArrayList<>();
    for (Member m : s.members().values()) {
      if (m.witness()) {
        continue;
      }
      String mode = g.modeOf(m.name());
      NodeReport r = s.report(m.name(), g.name());
      boolean primary = m.name().equals(g.primary());
      String state = r == null ? "unknown" : r.running() && r.runningEpoch() == g.epoch() ? "running" : primary ? "starting" : "stopped";
      String lease = "";
      if (primary && c != null) {
        // The holder knows its own lease; every other node estimates it from the renewals it applied ("~").
        Duration left = m.name().equals(self) ? c.leaseRemaining(g.name()) : c.leaseSeen(g.name());
        lease = left == null ? "" : (m.name().equals(self) ? "" : "~") + left.toMillis() + "ms";
      }
      rows.add(new Status.MemberRow(m.name(), mode, primary ? "primary" : "off".equals(mode) ? "-" : "replica", state,
          r == null ? "no report" : r.summary(), r == null ? 0 : r.weight(), lease,
          gtidDistance(lag(self, m.name(), g.name(), databases), s, g, m.name(), primary, databases)));
    }
    String last = g.lastChangeMillis() == 0 ? g.lastChange() : g.lastChange() + " at " + Instant.ofEpochMilli(g.lastChangeMillis());
    return new Status.GroupRow(g.name(), g.primary(), g.epoch(), g.paused(), g.switchoverTo(), g.failback(), why, last,
        g.definedBy(), rows, new java.util.TreeMap<>(g.differing()));
  }

  /** MariaDB and MySQL: GTID positions in transactions, and a primary that cannot see its replicas' lag. */
  private static boolean isMy(String kind) {
    return kind.equals("mariadb") || kind.equals("mysql");
  }
}
