package tandem.agent;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import tandem.cluster.ClusterState;
import tandem.cluster.GroupState;
import tandem.cluster.Member;
import tandem.core.NodeId;
import tandem.db.DbPeers;

/** The replicated databases' view of the cluster, read from this node's copy of the cluster state. */
final class ClusterDbPeers implements DbPeers {
  private final String self;
  private final ClusterHandle cluster;

  ClusterDbPeers(String self, ClusterHandle cluster) {
    this.self = self;
    this.cluster = cluster;
  }

  @Override
  public Optional<Primary> primary(String group) {
    ClusterState s = cluster.state();
    GroupState g = s.groups().get(group);
    if (g == null || !g.hasPrimary()) {
      return Optional.empty();
    }
    Member m = s.members().get(g.primary());
    return m == null ? Optional.empty() : Optional.of(new Primary(m.name(), new NodeId(m.nodeId()), g.epoch()));
  }

  @Override
  public List<Peer> replicas(String group) {
    ClusterState s = cluster.state();
    GroupState g = s.groups().get(group);
    List<Peer> out = new ArrayList<>();
    if (g == null) {
      return out;
    }
    g.modes().forEach((node, mode) -> {
      Member m = s.members().get(node);
      if (!node.equals(self) && !"off".equals(mode) && m != null && !m.witness()) {
        out.add(new Peer(m.name(), new NodeId(m.nodeId())));
      }
    });
    return out;
  }
}
