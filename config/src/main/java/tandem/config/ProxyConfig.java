package tandem.config;

import java.util.Objects;
import java.util.Optional;

/**
 * A TCP proxy that follows the group's primary: every node of the group (mode not off, not a
 * witness) accepts clients on {@code listen} and forwards them to the primary's {@code to}; with
 * {@code readListen}, to the healthy replicas' {@code to} in turn. Nodes that are not the primary
 * reach it through the primary's proxy on {@code peerPort} over the cluster's mutual TLS.
 *
 * @param listen where clients connect for the primary
 * @param to the backend as this node reaches it (often 127.0.0.1:5432)
 * @param readListen where clients connect for a replica, if anywhere
 * @param peerPort the port on this node's cluster address where other nodes' proxies hand over
 *     connections (mutual TLS); default {@code listen} port + 100
 */
public record ProxyConfig(HostPort listen, HostPort to, Optional<HostPort> readListen, int peerPort)
    implements ResourceConfig {
  /** What {@code peer-port} defaults to: the listen port plus this. */
  public static final int PEER_PORT_OFFSET = 100;

  public ProxyConfig {
    Objects.requireNonNull(listen, "listen");
    Objects.requireNonNull(to, "to");
    Objects.requireNonNull(readListen, "readListen");
    Checks.range(peerPort, 1, 65535, "peerPort");
  }

  @Override
  public String kind() {
    return "proxy";
  }
}
