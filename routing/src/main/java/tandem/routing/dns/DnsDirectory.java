package tandem.routing.dns;

import java.net.InetAddress;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * What the DNS responder knows about the cluster, read afresh for every query from this node's copy
 * of the cluster state. Implementations must be cheap and must not block on the network.
 */
public interface DnsDirectory {

  /** The group {@code name} as the cluster state has it now; empty when the cluster has no such group. */
  Optional<GroupView> group(String name);

  /** The addresses clients reach {@code node} at; empty when unknown. */
  List<InetAddress> addresses(String node);

  /**
   * One group at one moment.
   *
   * @param primary the primary's node name, or null while no node holds the group
   * @param actives the other nodes in mode {@code active} whose health passes (they serve too), in name order
   */
  record GroupView(String primary, List<String> actives) {
    public GroupView {
      actives = List.copyOf(Objects.requireNonNull(actives, "actives"));
    }
  }
}
