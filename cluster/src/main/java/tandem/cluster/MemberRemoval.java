package tandem.cluster;

import java.util.List;
import java.util.Set;

/**
 * Whether a member may be removed now: the checks made before a {@link ClusterCommand.RemoveMember} is submitted,
 * as a pure function of the agreed state and of which members answer right now (the caller asks them).
 */
public final class MemberRemoval {
  private MemberRemoval() {}

  /**
   * Why {@code node} may not be removed, or null when it may.
   *
   * @param reachable the members that answered just now, the asking node included
   * @param force remove even a primary that is running and answering (remove-node --force)
   * @param leaving the node removes itself (tandem leave): it has handed its groups over already
   */
  public static String refusal(ClusterState s, String node, Set<String> reachable, boolean force, boolean leaving) {
    if (!s.members().containsKey(node)) {
      return node + " is not a member of cluster " + s.cluster() + "; members: " + s.members().keySet();
    }
    List<String> remaining = s.voters().stream().filter(v -> !v.equals(node)).toList();
    if (remaining.isEmpty()) {
      return node + " is the only voter of cluster " + s.cluster() + "; a cluster cannot remove its last voter";
    }
    List<String> answering = remaining.stream().filter(reachable::contains).toList();
    int majority = remaining.size() / 2 + 1;
    if (answering.size() < majority) {
      // The removal itself and everything after it needs a majority of the voters that stay.
      return "removing " + node + " would leave " + remaining.size() + " voters " + remaining + " of which "
          + (answering.isEmpty() ? "none answers" : "only " + answering + " answer") + "; the cluster needs "
          + majority + " of them reachable to decide anything: start the others (or remove the dead ones) first";
    }
    if (leaving || force || !reachable.contains(node)) {
      return null;
    }
    for (GroupState g : s.groups().values()) {
      NodeReport r = s.report(node, g.name());
      if (node.equals(g.primary()) && r != null && r.running()) {
        return node + " is primary of " + g.name() + ", runs it and answers; hand it over first: run `tandem leave` on "
            + node + " (it switches its groups over, then leaves), or `tandem switchover " + g.name()
            + " --to <node>`; --force removes it anyway (" + g.name() + " then moves once " + node
            + "'s lease has lapsed)";
      }
    }
    return null;
  }
}
