package tandem.cluster;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * The cluster as one node sees it: the agreed state, a way to change it through consensus, and
 * what the local consensus member knows about leadership and peers. Implementations must be safe
 * for concurrent use.
 */
public interface Cluster {

  /** The state after the last command applied on this node. */
  ClusterState state();

  /**
   * Proposes a command; completes with its result once a majority committed and this node
   * applied it, or exceptionally when there is no quorum within {@code timeout}.
   */
  CompletableFuture<CommandResult> submit(ClusterCommand command, Duration timeout);

  /** True while this node is the Raft leader and has committed an entry of its term. */
  boolean isLeaderReady();

  /** The current Raft leader's name, or null when none is known. */
  String leader();

  /**
   * On the leader: for each other voter, the time since it last answered the leader. Empty on a
   * follower. A peer that does not appear has never answered in this term.
   */
  Map<String, Duration> peerSilence();

  /** Adds a listener called, in log order and on one thread, after each applied command. */
  void addListener(ClusterListener listener);
}
