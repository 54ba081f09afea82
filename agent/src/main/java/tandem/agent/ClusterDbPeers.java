package tandem.agent;

import java.util.List;
import java.util.Optional;
import tandem.db.DbPeers;

/** The replicated databases' view of the cluster: the same facts as file sync's, without addresses. */
final class ClusterDbPeers implements DbPeers {
  private final ClusterPeers peers;

  ClusterDbPeers(String self, ClusterHandle cluster) {
    this.peers = new ClusterPeers(self, cluster);
  }

  @Override
  public Optional<Primary> primary(String group) {
    return peers.primary(group).map(p -> new Primary(p.name(), p.id(), p.epoch()));
  }

  @Override
  public List<Peer> replicas(String group) {
    return peers.replicas(group).stream().map(p -> new Peer(p.name(), p.id())).toList();
  }
}
