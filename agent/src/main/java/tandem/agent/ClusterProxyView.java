package tandem.agent;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.TreeMap;
import tandem.cluster.ClusterState;
import tandem.cluster.GroupState;
import tandem.cluster.Member;
import tandem.cluster.NodeReport;
import tandem.config.HostPort;
import tandem.routing.proxy.ProxyView;

/** The proxy's view of the cluster, read from this node's copy of the cluster state. */
final class ClusterProxyView implements ProxyView {
  private final String self;
  private final ClusterHandle cluster;

  ClusterProxyView(String self, ClusterHandle cluster) {
    this.self = self;
    this.cluster = cluster;
  }

  @Override
  public String self() {
    return self;
  }

  @Override
  public Optional<Node> primary(String group) {
    ClusterState s = cluster.state();
    GroupState g = s.groups().get(group);
    if (g == null || !g.hasPrimary()) {
      return Optional.empty();
    }
    return Optional.ofNullable(s.members().get(g.primary())).map(ClusterProxyView::node);
  }

  @Override
  public long epoch(String group) {
    GroupState g = cluster.state().groups().get(group);
    return g == null ? 0 : g.epoch();
  }

  @Override
  public List<Node> replicas(String group) {
    ClusterState s = cluster.state();
    GroupState g = s.groups().get(group);
    List<Node> out = new ArrayList<>();
    if (g == null || !g.hasPrimary()) {
      return out;
    }
    new TreeMap<>(g.modes()).forEach((name, mode) -> {
      Member m = s.members().get(name);
      NodeReport r = s.report(name, group);
      if (!name.equals(g.primary()) && !"off".equals(mode) && m != null && !m.witness() && r != null && r.passing()) {
        out.add(node(m));
      }
    });
    return out;
  }

  private static Node node(Member m) {
    return new Node(m.name(), HostPort.parse(m.listen()).host(), m.nodeId());
  }
}
