package tandem.api;

import java.util.List;
import tandem.db.DbStatus;
import tandem.filesync.FilesStatus;

/**
 * The cluster as one node sees it: what GET /api/v1/status returns and `tandem status` prints.
 *
 * @param cluster the cluster's name
 * @param node the node answering
 * @param leader the Raft leader, or null when there is none (no quorum)
 * @param generation the voting generation
 * @param automaticFailover a sentence on whether automatic failover is possible, and why not
 * @param nodes one row per member
 * @param groups one entry per group
 * @param files the replicated directories of this node's groups, with each replica's progress
 * @param databases the databases of this node's groups: role, position and, on a primary, each replica's lag
 */
public record Status(String cluster, String node, String leader, long generation, String automaticFailover,
    List<NodeRow> nodes, List<GroupRow> groups, List<FilesStatus> files, List<DbStatus> databases) {

  /** A member of the cluster. */
  public record NodeRow(String name, String id, String listen, String api, boolean witness, boolean voter) {}

  /**
   * A group with its primary and one row per node; {@code fileDiffers} names each node whose tandem.yaml defines the
   * group differently from the cluster's definition (by {@code definedBy}), with the keys that differ.
   */
  public record GroupRow(String group, String primary, long epoch, boolean paused, String switchoverTo,
      String failback, String why, String lastChange, String definedBy, List<MemberRow> members,
      java.util.Map<String, String> fileDiffers) {}

  /**
   * One node's part in a group; {@code lag} is its database's replication lag as this node knows
   * it (the primary knows every replica's, a replica its own), "" when unknown or not a database group.
   */
  public record MemberRow(String node, String mode, String role, String state, String health, int weight, String lease,
      String lag) {}
}
