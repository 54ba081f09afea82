package tandem.routing.proxy;

import java.util.List;
import java.util.Optional;

/**
 * The cluster as a group's proxy needs it, read from this node's copy of the cluster state. Every
 * method answers at once from memory (the proxy asks on every connection and every 20 ms); the
 * answers may lag the cluster a little, which is why the receiving end checks again.
 */
public interface ProxyView {
  /** This node's name. */
  String self();

  /** The group's primary under {@link #epoch}, empty while it has none (during a failover). */
  Optional<Node> primary(String group);

  /** The group's epoch: it grows at every change of primary. */
  long epoch(String group);

  /**
   * The nodes that serve reads now: members of the group with a mode other than off, not
   * witnesses, not the primary, whose health report passes; in a stable order.
   */
  List<Node> replicas(String group);

  /**
   * A member as the proxy reaches it.
   *
   * @param name the node's name
   * @param host the host of its cluster address (node.listen), where its proxy's peer port is
   * @param nodeId its certificate's ID, checked after the TLS handshake
   */
  record Node(String name, String host, String nodeId) {}
}
