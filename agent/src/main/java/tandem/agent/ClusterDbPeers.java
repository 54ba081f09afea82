package tandem.agent;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import tandem.cluster.ClusterState;
import tandem.cluster.Member;
import tandem.db.DbPeers;
import tandem.transport.NodeIdentity;

/** The replicated databases' view of the cluster: the same facts as file sync's, without addresses. */
final class ClusterDbPeers implements DbPeers {
  private final String self;
  private final ClusterHandle cluster;
  private final ClusterPeers peers;
  private final NodeIdentity identity;

  ClusterDbPeers(String self, ClusterHandle cluster, NodeIdentity identity) {
    this.self = self;
    this.cluster = cluster;
    this.peers = new ClusterPeers(self, cluster);
    this.identity = identity;
  }

  @Override
  public Optional<Primary> primary(String group) {
    return peers.primary(group).map(p -> new Primary(p.name(), p.id(), p.epoch()));
  }

  @Override
  public List<Peer> replicas(String group) {
    return peers.replicas(group).stream().map(p -> new Peer(p.name(), p.id())).toList();
  }

  @Override
  public Set<String> answering(String group, Duration timeout) throws InterruptedException {
    ClusterState s = cluster.state();
    List<Member> others = replicas(group).stream().map(p -> s.members().get(p.name())).filter(m -> m != null).toList();
    return Hellos.answering(s, others, identity, self, timeout);
  }
}
