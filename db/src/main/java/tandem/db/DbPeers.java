package tandem.db;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import tandem.core.NodeId;

/** What a replicated database needs to know of the cluster, as this node sees it now. */
public interface DbPeers {
  /** A group's primary under an epoch. */
  record Primary(String name, NodeId id, long epoch) {}

  /** A node that replicates the group's data (mode primary, active or passive), other than this one. */
  record Peer(String name, NodeId id) {}

  /** The group's primary and its epoch; empty when the group has none. */
  Optional<Primary> primary(String group);

  /** The other data nodes of the group. */
  List<Peer> replicas(String group);

  /**
   * The names of the group's other data nodes whose agents answer within {@code timeout}: those
   * that may stream from this node soon. A view that cannot ask says all of them.
   */
  default Set<String> answering(String group, Duration timeout) throws InterruptedException {
    return replicas(group).stream().map(Peer::name).collect(Collectors.toSet());
  }
}
