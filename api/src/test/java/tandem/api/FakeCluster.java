package tandem.api;

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
import tandem.cluster.Member;

/**
 * A {@link Cluster} without Raft for the API's tests: commands are applied at once with {@link ClusterState#apply},
 * in submit order, and the listeners hear them on the submitting thread. The test says who the leader is. (The
 * failover module's FakeCluster also plays partitions; the API does not need that.)
 */
final class FakeCluster implements Cluster {
  private final List<ClusterListener> listeners = new CopyOnWriteArrayList<>();
  private volatile ClusterState state = ClusterState.empty();
  private volatile String leader;
  private volatile boolean leaderReady;

  /** Cluster "shop" whose voters are data nodes with these names; the first one bootstrapped it and leads. */
  static FakeCluster withDataNodes(String... names) {
    FakeCluster c = new FakeCluster();
    c.apply(new ClusterCommand.Bootstrap("shop", member(names[0])));
    long now = System.currentTimeMillis();
    for (int i = 1; i < names.length; i++) {
      c.apply(new ClusterCommand.CreateInvite("hash-" + names[i], names[0], now + 3_600_000));
      c.apply(new ClusterCommand.Join("hash-" + names[i], member(names[i]), now));
    }
    c.leader = names[0];
    return c;
  }

  /** A member with a 52-character id like a real one, starting with the upper-cased name. */
  static Member member(String name) {
    String id = (name.toUpperCase(java.util.Locale.ROOT) + "A".repeat(52)).substring(0, 52);
    return new Member(name, id, "-----BEGIN CERTIFICATE-----\n" + name + "\n-----END CERTIFICATE-----",
        "127.0.0.1:7400", "127.0.0.1:7401", "127.0.0.1:8400", false, 1_800_000_000_000L);
  }

  CommandResult apply(ClusterCommand command) {
    return submit(command, Duration.ofSeconds(5)).join();
  }

  void setLeader(String name) {
    leader = name;
  }

  void setLeaderReady(boolean ready) {
    leaderReady = ready;
  }

  @Override
  public ClusterState state() {
    return state;
  }

  @Override
  public synchronized CompletableFuture<CommandResult> submit(ClusterCommand command, Duration timeout) {
    ClusterState before = state;
    ClusterState.Applied a = before.apply(command, before.index() + 1);
    state = a.state();
    listeners.forEach(l -> l.applied(before, command, a.result(), a.state()));
    return CompletableFuture.completedFuture(a.result());
  }

  @Override
  public boolean isLeaderReady() {
    return leaderReady;
  }

  @Override
  public String leader() {
    return leader;
  }

  @Override
  public Map<String, Duration> peerSilence() {
    return Map.of();
  }

  @Override
  public void addListener(ClusterListener listener) {
    listeners.add(listener);
  }
}
