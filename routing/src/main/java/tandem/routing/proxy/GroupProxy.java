package tandem.routing.proxy;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import javax.net.ssl.SSLContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tandem.config.HostPort;
import tandem.config.ProxyConfig;
import tandem.resource.Resource;

/**
 * A group's TCP proxy on one node. It runs on every node of the group for as long as the agent
 * runs, whatever this node's role, and follows the cluster state.
 *
 * <p>Routing. A client on {@code listen} goes to the primary named by the cluster state under
 * its current epoch; on {@code read-listen}, to the next healthy replica in turn, or to the
 * primary while there is none (reads keep working on a group with one healthy node). When the
 * target is this node the client is joined to the local backend ({@code to}); otherwise to the
 * target's proxy through its peer port ({@link PeerHop}: mutual TLS, one request line naming
 * group, kind and epoch), which joins it to its own local backend. {@code to} is only ever
 * dialled by the node it belongs to, so {@code 127.0.0.1:5432} works.
 *
 * <p>Fencing. A node joins a connection to its own backend for the primary only while its
 * {@link #resource()} has been started under the epoch in question (the group's resource chain
 * reached it, so the resources before it run) and its cluster state names it primary under that
 * epoch. The resource is stopped when the node is demoted, and also when its lease lapses, which
 * happens before any other node may be promoted; so a node that is not the primary in the current
 * epoch accepts no connection, whatever a late sender believes. A hung agent (SIGSTOP) copies no
 * bytes either: the proxy is in its JVM.
 *
 * <p>Failover. Every 20 ms, and at once when the resource stops, connections whose facts no
 * longer hold (another epoch, another primary, a replica gone unhealthy) are closed. A client
 * that arrives while the group has no primary is held for up to {@code waitForPrimary}, trying
 * again every 50 ms, then closed.
 *
 * <p>Threads: a virtual thread per listener and per connection being routed, two platform threads
 * per connection for the blocking copies ({@link Splice}), one platform thread for the checks.
 */
public final class GroupProxy implements AutoCloseable {
  /** How long a client is held while the group has no primary (a failover takes about 2.5 s). */
  public static final Duration WAIT_FOR_PRIMARY = Duration.ofSeconds(10);
  private static final Logger LOG = LoggerFactory.getLogger(GroupProxy.class);
  private static final int HOP_TIMEOUT_MS = 1000;
  private static final long RETRY_MS = 50;
  private static final long WATCH_MS = 20;

  private final String group;
  private final ProxyConfig config;
  private final String clusterHost;
  private final ProxyView view;
  private final PeerHop hop;
  private final Duration waitForPrimary;
  private final Set<Splice> splices = ConcurrentHashMap.newKeySet();
  private final List<ServerSocket> servers = new CopyOnWriteArrayList<>();
  private final AtomicLong turn = new AtomicLong();
  private final ScheduledExecutorService watcher = Executors.newSingleThreadScheduledExecutor(r -> {
    Thread t = new Thread(r, "proxy-watch");
    t.setDaemon(true);
    return t;
  });
  private final ProxyResource resource = new ProxyResource(this);
  private volatile long servingEpoch = -1;
  private volatile boolean closed;

  /**
   * @param clusterHost the host of this node's cluster address, where the peer port listens
   * @param tls this node's key and the pinned peers (see the transport module), for the hop between nodes
   * @param nodeIdOf the node ID a certificate stands for
   */
  public GroupProxy(String group, ProxyConfig config, String clusterHost, ProxyView view, SSLContext tls,
      Function<X509Certificate, String> nodeIdOf, Duration waitForPrimary) {
    this.group = group;
    this.config = config;
    this.clusterHost = clusterHost;
    this.view = view;
    this.hop = new PeerHop(tls, nodeIdOf);
    this.waitForPrimary = waitForPrimary;
  }

  /** The TLS 1.3 context for the hop between nodes: this node's key, the cluster's pinned peers for both ends. */
  public static SSLContext tls(javax.net.ssl.X509KeyManager key, javax.net.ssl.X509TrustManager peers) {
    try {
      SSLContext c = SSLContext.getInstance("TLSv1.3");
      c.init(new javax.net.ssl.KeyManager[] {key}, new javax.net.ssl.TrustManager[] {peers}, null);
      return c;
    } catch (java.security.GeneralSecurityException e) {
      throw new IllegalStateException("this JVM cannot make a TLS 1.3 context: " + e.getMessage(), e);
    }
  }

  /** Opens the listeners and starts following the cluster; fails naming the address that could not be bound. */
  public GroupProxy start() throws IOException {
    try {
      accept(bind(config.listen(), "listen"), 'W');
      if (config.readListen().isPresent()) {
        accept(bind(config.readListen().get(), "read-listen"), 'R');
      }
      ServerSocket peers;
      try {
        peers = hop.listen(new InetSocketAddress(clusterHost, config.peerPort()));
      } catch (IOException e) {
        throw new IOException("group " + group + ": the proxy cannot listen on its peer port " + clusterHost + ":"
            + config.peerPort() + " (" + e.getMessage() + "); free the port or set proxy.peer-port", e);
      }
      servers.add(peers);
      Thread.ofVirtual().name("proxy-peers-" + group).start(() -> acceptLoop(peers, this::fromPeer));
    } catch (IOException e) {
      close();
      throw e;
    }
    watcher.scheduleWithFixedDelay(this::closeStale, WATCH_MS, WATCH_MS, TimeUnit.MILLISECONDS);
    return this;
  }

  /**
   * The proxy's place in the group's resource chain. Starting it opens this node's backend to
   * connections for the primary under the new epoch; stopping it closes that gate and every such
   * connection at once, before the resources listed before it (the database behind it) stop.
   * The listeners themselves do not start or stop with the role.
   */
  public Resource resource() {
    return resource;
  }

  /** The proxied connections open on this node (as entry point or as backend end). */
  public int connections() {
    return splices.size();
  }

  /** The port the primary listener is bound to (useful when the config said port 0 in tests). */
  public int listenPort() {
    return servers.getFirst().getLocalPort();
  }

  int peerPort() {
    return config.peerPort();
  }

  void serve(long epoch) {
    servingEpoch = epoch;
  }

  void stopServing() {
    servingEpoch = -1;
    closeStale();
  }

  private ServerSocket bind(HostPort at, String key) throws IOException {
    ServerSocket s = new ServerSocket();
    s.setReuseAddress(true);
    try {
      s.bind(new InetSocketAddress(at.host(), at.port()), 1024);
    } catch (IOException e) {
      Splice.quietly(s);
      throw new IOException("group " + group + ": the proxy cannot listen on " + at + " (" + e.getMessage()
          + "); free the port or change proxy." + key, e);
    }
    servers.add(s);
    return s;
  }

  private void accept(ServerSocket s, char kind) {
    Thread.ofVirtual().name("proxy-" + kind + "-" + group).start(() -> acceptLoop(s, c -> fromClient(c, kind)));
  }

  private void acceptLoop(ServerSocket s, java.util.function.Consumer<Socket> handler) {
    while (!closed) {
      try {
        Socket c = s.accept();
        Thread.ofVirtual().start(() -> handler.accept(c));
      } catch (IOException e) {
        if (!closed) {
          LOG.warn("group {}: accepting on {} failed: {}", group, s.getLocalSocketAddress(), e.toString());
        }
      }
    }
  }

  private void fromClient(Socket client, char kind) {
    long deadline = System.nanoTime() + waitForPrimary.toNanos();
    try {
      client.setTcpNoDelay(true);
      while (!closed) {
        Facts f = facts();
        Hop h = route(f, kind);
        if (h != null) {
          join(client, h.socket, h.route);
          return;
        }
        if (System.nanoTime() - deadline > 0) {
          LOG.info("group {}: closing a client from {}: no {} to forward it to within {}", group,
              client.getRemoteSocketAddress(), kind == 'W' ? "primary" : "replica or primary", waitForPrimary);
          break;
        }
        Thread.sleep(RETRY_MS);
      }
    } catch (IOException e) {
      LOG.debug("group {}: client {}: {}", group, client.getRemoteSocketAddress(), e.toString());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    Splice.quietly(client);
  }

  private record Hop(Socket socket, Splice.Route route) {}

  /** Where a client goes now, connected; null when nowhere can take it at the moment. */
  private Hop route(Facts f, char kind) {
    if (kind == 'R' && !f.replicas.isEmpty()) {
      ProxyView.Node n = f.replicas.get((int) Math.floorMod(turn.getAndIncrement(), (long) f.replicas.size()));
      Hop h = connect(f, n, 'R');
      if (h != null) {
        return h;
      }
      // A replica whose backend does not answer (a passive node's stopped service): the primary serves the read.
    }
    return f.primary.map(p -> connect(f, p, 'W')).orElse(null);
  }

  private Hop connect(Facts f, ProxyView.Node n, char kind) {
    Splice.Route r = new Splice.Route(kind, n.name(), f.epoch);
    if (n.name().equals(view.self())) {
      Socket b = servesHere(f, kind, f.epoch) == null ? backend() : null;
      return b == null ? null : new Hop(b, r);
    }
    try {
      return new Hop(hop.open(n, config.peerPort(), kind + " " + group + " " + f.epoch, HOP_TIMEOUT_MS), r);
    } catch (IOException e) {
      LOG.debug("group {}: hop to {} failed: {}", group, n.name(), e.getMessage());
      return null;
    }
  }

  /** A connection handed over by another node's proxy: joined to the local backend if this node may serve it. */
  private void fromPeer(Socket peer) {
    try {
      String[] req = PeerHop.request(peer, HOP_TIMEOUT_MS).split(" ");
      if (req.length != 3 || !(req[0].equals("W") || req[0].equals("R")) || !req[1].equals(group)) {
        PeerHop.answer(peer, "NO this is the proxy of group " + group + ", not '" + String.join(" ", req) + "'");
        Splice.quietly(peer);
        return;
      }
      char kind = req[0].charAt(0);
      long epoch = Long.parseLong(req[2]);
      String refusal = servesHere(facts(), kind, epoch);
      Socket b = refusal == null ? backend() : null;
      if (b == null) {
        PeerHop.answer(peer, "NO " + (refusal == null ? "the backend " + config.to() + " does not answer" : refusal));
        Splice.quietly(peer);
        return;
      }
      PeerHop.answer(peer, "OK");
      join(peer, b, new Splice.Route(kind, view.self(), epoch));
    } catch (IOException | RuntimeException e) {
      LOG.debug("group {}: peer {}: {}", group, peer.getRemoteSocketAddress(), e.toString());
      Splice.quietly(peer);
    }
  }

  /** Null when this node may join a connection of {@code kind} under {@code epoch} to its backend, else why not. */
  private String servesHere(Facts f, char kind, long epoch) {
    String self = view.self();
    if (epoch != f.epoch) {
      return "epoch " + epoch + " is not the group's current epoch " + f.epoch;
    }
    if (kind == 'R' && f.replicas.stream().anyMatch(n -> n.name().equals(self))) {
      return null;
    }
    if (!f.primary.map(p -> p.name().equals(self)).orElse(false)) {
      return self + " is not " + (kind == 'R' ? "a healthy replica or " : "") + "the primary of " + group
          + " under epoch " + epoch;
    }
    return servingEpoch == epoch ? null : self + " is primary of " + group + " but its resources do not run (yet)";
  }

  private Socket backend() {
    Socket s = new Socket();
    try {
      s.setTcpNoDelay(true);
      s.connect(new InetSocketAddress(config.to().host(), config.to().port()), HOP_TIMEOUT_MS);
      return s;
    } catch (IOException e) {
      LOG.debug("group {}: backend {}: {}", group, config.to(), e.getMessage());
      Splice.quietly(s);
      return null;
    }
  }

  private void join(Socket client, Socket server, Splice.Route route) {
    Splice s = new Splice(client, server, route, splices::remove);
    splices.add(s);
    // The facts may have changed since routing, and the check below may have run before the add.
    if (!holds(facts(), route)) {
      s.close();
      return;
    }
    s.start();
  }

  private void closeStale() {
    if (splices.isEmpty()) {
      return;
    }
    Facts f = facts();
    for (Splice s : splices) {
      if (!holds(f, s.route())) {
        s.close();
      }
    }
  }

  private boolean holds(Facts f, Splice.Route r) {
    if (r.node().equals(view.self())) {
      return servesHere(f, r.kind(), r.epoch()) == null;
    }
    if (r.epoch() != f.epoch) {
      return false;
    }
    return r.kind() == 'W' ? f.primary.map(p -> p.name().equals(r.node())).orElse(false)
        : f.replicas.stream().anyMatch(n -> n.name().equals(r.node()));
  }

  /** One reading of the cluster state, so that a decision does not mix two. */
  private record Facts(long epoch, Optional<ProxyView.Node> primary, List<ProxyView.Node> replicas) {}

  private Facts facts() {
    return new Facts(view.epoch(group), view.primary(group), view.replicas(group));
  }

  @Override
  public void close() {
    closed = true;
    watcher.shutdownNow();
    servers.forEach(s -> {
      try {
        s.close();
      } catch (IOException e) {
        // Closing is all that is left to do with it.
      }
    });
    splices.forEach(Splice::close);
  }
}
