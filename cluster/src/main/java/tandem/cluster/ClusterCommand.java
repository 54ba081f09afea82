package tandem.cluster;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import java.util.Map;

/**
 * A change to the cluster state, written to the Raft log. Commands carry every input their
 * application needs (wall-clock times included), so applying them is deterministic on every node.
 */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "type")
@JsonSubTypes({
  @JsonSubTypes.Type(value = ClusterCommand.Bootstrap.class, name = "bootstrap"),
  @JsonSubTypes.Type(value = ClusterCommand.CreateInvite.class, name = "invite"),
  @JsonSubTypes.Type(value = ClusterCommand.Join.class, name = "join"),
  @JsonSubTypes.Type(value = ClusterCommand.DefineGroup.class, name = "define-group"),
  @JsonSubTypes.Type(value = ClusterCommand.Renew.class, name = "renew"),
  @JsonSubTypes.Type(value = ClusterCommand.Promote.class, name = "promote"),
  @JsonSubTypes.Type(value = ClusterCommand.RequestSwitchover.class, name = "switchover"),
  @JsonSubTypes.Type(value = ClusterCommand.Release.class, name = "release"),
  @JsonSubTypes.Type(value = ClusterCommand.SetPaused.class, name = "pause"),
  @JsonSubTypes.Type(value = ClusterCommand.Report.class, name = "report"),
  @JsonSubTypes.Type(value = ClusterCommand.Reform.class, name = "reform"),
  @JsonSubTypes.Type(value = ClusterCommand.AddVoter.class, name = "add-voter"),
  @JsonSubTypes.Type(value = ClusterCommand.RemoveMember.class, name = "remove-member"),
  @JsonSubTypes.Type(value = ClusterCommand.NoteDecision.class, name = "decision"),
  @JsonSubTypes.Type(value = ClusterCommand.ReportDefinition.class, name = "definition-differs"),
})
public sealed interface ClusterCommand {

  /** Makes a new cluster whose first member is the bootstrapping node. */
  record Bootstrap(String cluster, Member first) implements ClusterCommand {}

  /** Registers a one-time join token (by the hash of its secret). */
  record CreateInvite(String secretHash, String inviter, long expiresAtMillis) implements ClusterCommand {}

  /** Adds a member that presented a valid, unused, unexpired token. */
  record Join(String secretHash, Member member, long nowMillis) implements ClusterCommand {}

  /**
   * Records a group's definition from a node's tandem.yaml. {@code seenHash} is the definition hash the node saw
   * ("" for none): the command is refused if the group's definition changed meanwhile, so a node whose state still
   * lags (one that just joined) cannot replace the definition it has not seen yet. Null: unconditional (older logs).
   */
  record DefineGroup(
      String group, Map<String, String> modes, String failback, long failbackAfterMillis, String by, String hash,
      String seenHash) implements ClusterCommand {
    /** An unconditional definition (tests, and entries written before seenHash existed). */
    public DefineGroup(String group, Map<String, String> modes, String failback, long failbackAfterMillis, String by,
        String hash) {
      this(group, modes, failback, failbackAfterMillis, by, hash, null);
    }
  }

  /** The primary renews its lease; refused unless it is the primary under that epoch. */
  record Renew(String group, String node, long epoch) implements ClusterCommand {}

  /**
   * Makes {@code node} the primary with epoch + 1, if the group is still at {@code expectedEpoch}
   * and its primary renewed exactly {@code expectedRenewals} times (no renewal since the decision).
   */
  record Promote(String group, String node, long expectedEpoch, long expectedRenewals, String reason, long atMillis)
      implements ClusterCommand {}

  /** Asks the primary to hand the group to {@code to}: it stops, then releases. */
  record RequestSwitchover(String group, String to, String reason, long atMillis) implements ClusterCommand {}

  /** The primary stopped its resources for a switchover; the target becomes primary (epoch + 1). */
  record Release(String group, String node, long epoch, long atMillis) implements ClusterCommand {}

  /** Turns automatic failover of a group off (maintenance) or back on. */
  record SetPaused(String group, boolean paused, String by) implements ClusterCommand {}

  /** A node's report about itself for one group. */
  record Report(NodeReport report) implements ClusterCommand {}

  /**
   * The cluster was re-formed by a forced failover: only {@code voters} vote from now on, under
   * the new generation, and {@code group} (if not null) is given to {@code node} with epoch + 1.
   */
  record Reform(ClusterState previous, long generation, java.util.List<String> voters, String group, String node,
      String reason, long atMillis) implements ClusterCommand {}

  /** A member left out by a forced failover is back and votes again. */
  record AddVoter(String node) implements ClusterCommand {}

  /**
   * Removes a member for good (`tandem leave` on it, or `tandem remove-node` for a dead one): it no longer votes, its
   * certificate is no longer pinned, its reports are dropped. The checks that need the network (is a majority of the
   * rest reachable, is it a running primary) are made before this is submitted; {@code by} names who asked.
   */
  record RemoveMember(String node, String by, String reason, long atMillis) implements ClusterCommand {}

  /**
   * The Raft leader's decision sentence about a group, written when it changes kind (or, while nothing needs doing,
   * words), so that every node's `status` can say why; it changes nothing else.
   */
  record NoteDecision(String group, String sentence, String by, long atMillis) implements ClusterCommand {}

  /**
   * A node's tandem.yaml defines {@code group} differently from the cluster's definition (the last node to define
   * it wins): {@code differences} names the keys, or is empty once the file agrees again.
   */
  record ReportDefinition(String group, String node, String differences, long atMillis) implements ClusterCommand {}
}
