package tandem.agent;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import tandem.cluster.ClusterState;
import tandem.cluster.GroupState;
import tandem.cluster.Member;
import tandem.cluster.NodeReport;
import tandem.config.HostPort;
import tandem.routing.dns.DnsDirectory;

/**
 * The DNS responder's view of the cluster, read from this node's copy of the cluster state: a
 * group's primary and its healthy active nodes, and each member's address (the host of its
 * cluster {@code listen} address, looked up once when it is a name).
 */
final class ClusterDns implements DnsDirectory {
  private final ClusterHandle cluster;
  private final Map<String, List<InetAddress>> resolved = new ConcurrentHashMap<>();

  ClusterDns(ClusterHandle cluster) {
    this.cluster = cluster;
  }

  @Override
  public Optional<GroupView> group(String name) {
    ClusterState s = cluster.state();
    GroupState g = s.groups().get(name);
    if (g == null) {
      return Optional.empty();
    }
    List<String> actives = g.modes().entrySet().stream()
        .filter(e -> e.getValue().equals("active") && !e.getKey().equals(g.primary()))
        .map(Map.Entry::getKey)
        .filter(n -> {
          NodeReport r = s.report(n, name);
          return r != null && r.passing();
        })
        .sorted().toList();
    return Optional.of(new GroupView(g.primary(), actives));
  }

  @Override
  public List<InetAddress> addresses(String node) {
    Member m = cluster.state().members().get(node);
    if (m == null) {
      return List.of();
    }
    String host = HostPort.parse(m.listen()).host();
    return resolved.computeIfAbsent(host, ClusterDns::lookUp);
  }

  private static List<InetAddress> lookUp(String host) {
    try {
      return List.of(InetAddress.getAllByName(host)).stream().filter(a -> !a.isAnyLocalAddress()).toList();
    } catch (UnknownHostException e) {
      return List.of();
    }
  }
}
