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
 */
public record DbStatus(String group, int resource, String kind, String role, String state, long position, long replayed,
    long timeline, double lagSeconds, List<ReplicaLag> replicas) {
  public DbStatus {
    replicas = List.copyOf(replicas);
  }

  /** A replica as its primary sees it. */
  public record ReplicaLag(String node, String state, String syncState, long replayed, long lagBytes, double lagSeconds) {}

  /** A copy with the group and resource set. */
  public DbStatus of(String group, int resource) {
    return new DbStatus(group, resource, kind, role, state, position, replayed, timeline, lagSeconds, replicas);
  }
}
