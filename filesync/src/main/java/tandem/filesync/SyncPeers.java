package tandem.filesync;

import java.util.List;
import java.util.Optional;
import tandem.core.NodeId;

/** What file sync needs to know of the cluster, as this node sees it now. */
public interface SyncPeers {
  /** A node that sends or receives a group's files. */
  record Peer(String name, NodeId id, String host, int port) {}

  /** The group's primary and its epoch; empty when the group has none. */
  Optional<Primary> primary(String group);

  /** The nodes that receive the group's files: members whose mode is not off, other than this node. */
  List<Peer> replicas(String group);

  /** A group's primary under an epoch. */
  record Primary(String name, NodeId id, long epoch) {}
}
