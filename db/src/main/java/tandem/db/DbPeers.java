package tandem.db;

import java.util.List;
import java.util.Optional;
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
}
