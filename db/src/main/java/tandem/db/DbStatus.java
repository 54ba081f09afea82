package tandem.db;

import java.util.List;

/**
 * A database's replication state on this node, for status, metrics and failover.
 *
 * @param group the group
 * @param resource the database's position among the group's database resources
 * @param kind "postgres"
 * @param role primary, replica or stopped
 * @param state one word: running, stopped, streaming, catching-up, ...
 * @param position the primary's current position, or the replica's last received one; -1 unknown
 * @param replayed the replica's last replayed position; on a primary equal to position
 * @param timeline the timeline (history) the position is on; 0 unknown
 * @param lagSeconds a replica's replay delay behind its primary; -1 unknown
 * @param replicas on a primary, each replica it streams to
 * @param dumps true when replicas copy the primary by periodic dumps (MariaDB {@code replication:
 *     dump}) instead of streaming its changes
 * @param copiedAtMillis on a replica that copies by dumps: the consistent point of its last
 *     completed copy (epoch millis), 0 before the first; else -1
 * @param warnings what weakens the database's safety and only its operator can fix, one sentence
 *     each (e.g. accounts that can write past read_only)
 */
public record DbStatus(String group, int resource, String kind, String role, String state, long position, long replayed,
    long timeline, double lagSeconds, List<ReplicaLag> replicas, boolean dumps, long copiedAtMillis, List<String> warnings) {
  public DbStatus {
    replicas = List.copyOf(replicas);
    warnings = warnings == null ? List.of() : List.copyOf(warnings);
  }

  /** A state without warnings. */
  public DbStatus(String group, int resource, String kind, String role, String state, long position, long replayed,
      long timeline, double lagSeconds, List<ReplicaLag> replicas, boolean dumps, long copiedAtMillis) {
    this(group, resource, kind, role, state, position, replayed, timeline, lagSeconds, replicas, dumps, copiedAtMillis,
        List.of());
  }

  /** The state of a database whose replicas stream (no dumps). */
  public DbStatus(String group, int resource, String kind, String role, String state, long position, long replayed,
      long timeline, double lagSeconds, List<ReplicaLag> replicas) {
    this(group, resource, kind, role, state, position, replayed, timeline, lagSeconds, replicas, false, -1);
  }

  /** A replica as its primary sees it. */
  public record ReplicaLag(String node, String state, String syncState, long replayed, long lagBytes, double lagSeconds) {}

  /** A copy with the group and resource set. */
  public DbStatus of(String group, int resource) {
    return new DbStatus(group, resource, kind, role, state, position, replayed, timeline, lagSeconds, replicas, dumps,
        copiedAtMillis, warnings);
  }

  /** A copy with these warnings. */
  public DbStatus withWarnings(List<String> more) {
    return new DbStatus(group, resource, kind, role, state, position, replayed, timeline, lagSeconds, replicas, dumps,
        copiedAtMillis, more);
  }

  /** A copy in another state, e.g. "dump-failing". */
  public DbStatus inState(String newState) {
    return new DbStatus(group, resource, kind, role, newState, position, replayed, timeline, lagSeconds, replicas, dumps,
        copiedAtMillis, warnings);
  }
}
