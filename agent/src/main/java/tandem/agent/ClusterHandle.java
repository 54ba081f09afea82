package tandem.agent;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import tandem.cluster.Cluster;
import tandem.cluster.ClusterCommand;
import tandem.cluster.ClusterListener;
import tandem.cluster.ClusterState;
import tandem.cluster.CommandResult;
import tandem.cluster.raft.RaftCluster;

/**
 * The agent's cluster, whose Raft member can be replaced when a forced failover starts a new
 * generation; listeners carry over to the new member.
 */
final class ClusterHandle implements Cluster {
  private final List<ClusterListener> listeners = new CopyOnWriteArrayList<>();
  private volatile RaftCluster current;

  ClusterHandle(RaftCluster first) {
    this.current = first;
  }

  RaftCluster current() {
    return current;
  }

  /** Swaps in a new Raft member (the old one is already closed). */
  void replace(RaftCluster next) {
    listeners.forEach(next::addListener);
    current = next;
  }

  @Override
  public ClusterState state() {
    return current.state();
  }

  @Override
  public CompletableFuture<CommandResult> submit(ClusterCommand command, Duration timeout) {
    return current.submit(command, timeout);
  }

  @Override
  public boolean isLeaderReady() {
    return current.isLeaderReady();
  }

  @Override
  public String leader() {
    return current.leader();
  }

  @Override
  public Map<String, Duration> peerSilence() {
    return current.peerSilence();
  }

  @Override
  public void addListener(ClusterListener listener) {
    listeners.add(listener);
    current.addListener(listener);
  }
}
