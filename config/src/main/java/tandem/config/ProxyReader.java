package tandem.config;

import java.util.List;
import java.util.Optional;

/** Reads a {@code proxy:} resource. */
final class ProxyReader {
  static final List<String> KEYS = List.of("listen", "to", "read-listen", "peer-port");

  private ProxyReader() {}

  static ProxyConfig read(Section s) {
    int mark = s.problems().mark();
    HostPort listen = s.hostPort("listen", "where clients connect, e.g. listen: 0.0.0.0:5000");
    HostPort to = s.hostPort("to", "the backend as this node reaches it, e.g. to: 127.0.0.1:5432");
    HostPort read = s.hostPort("read-listen", null);
    if (to != null && (to.host().equals("0.0.0.0") || to.host().equals("::"))) {
      s.problem("to", "'" + to + "' is a wildcard, not an address to connect to; write where the backend listens,"
          + " e.g. to: 127.0.0.1:" + to.port());
    }
    Integer peer = s.number("peer-port", null, 1, 65535);
    if (peer == null && !s.has("peer-port") && listen != null) {
      peer = listen.port() + ProxyConfig.PEER_PORT_OFFSET;
      if (peer > 65535) {
        s.problem("listen", "the default peer-port (listen port + " + ProxyConfig.PEER_PORT_OFFSET + " = " + peer
            + ") is out of range; set peer-port to a free port, e.g. peer-port: 5100");
      }
    }
    if (listen != null && to != null && listen.sharesInterfaceWith(to) && listen.port() == to.port()) {
      s.problem("to", "'" + to + "' is the proxy's own listen address: it would forward to itself; write the backend's"
          + " address, e.g. to: 127.0.0.1:5432");
    }
    if (listen != null && read != null && listen.sharesInterfaceWith(read) && listen.port() == read.port()) {
      s.problem("read-listen", "port " + read.port() + " is already used by listen; give read-listen its own port");
    }
    if (listen != null && peer != null && peer == listen.port()) {
      s.problem("peer-port", peer + " is already used by listen; give peer-port its own port");
    } else if (read != null && peer != null && peer == read.port()) {
      s.problem("peer-port", peer + " is already used by read-listen; give peer-port its own port");
    }
    if (!s.problems().noneSince(mark) || s.broken()) {
      return null;
    }
    return new ProxyConfig(listen, to, Optional.ofNullable(read), peer);
  }
}
