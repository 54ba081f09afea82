package tandem.transport;

import io.grpc.BindableService;
import io.grpc.Server;
import io.grpc.ServerInterceptors;
import io.grpc.netty.shaded.io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.netty.shaded.io.netty.handler.ssl.ClientAuth;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContext;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContextBuilder;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.TimeUnit;
import tandem.core.NodeId;
import javax.net.ssl.SSLException;

/**
 * The agent-to-agent gRPC server of one node: mutual TLS 1.3 with this node's identity, any
 * client certificate accepted at the TLS layer, and each call authorized by the caller's node ID
 * (see {@link CallerInterceptor}). Join and Hello go to the {@link JoinHandler}.
 */
public final class TransportServer implements AutoCloseable {
  static final String TLS_VERSION = "TLSv1.3";
  /** The largest message a peer may send; a bigger one fails its call (RESOURCE_EXHAUSTED). */
  public static final int MAX_MESSAGE_BYTES = 32 << 20;
  /** Both ends ping an idle connection this often (gRPC's client minimum) and drop it when no answer came in time. */
  static final java.time.Duration KEEPALIVE = java.time.Duration.ofSeconds(10);
  static final java.time.Duration KEEPALIVE_TIMEOUT = java.time.Duration.ofSeconds(5);
  /**
   * HTTP/2 flow-control window per stream: file sync sends MiB messages, and the default 1 MiB
   * window would make every message wait for a window update round trip.
   */
  static final int FLOW_CONTROL_WINDOW = 16 << 20;
  private static final long CLOSE_GRACE_SECONDS = 5;

  private final Server server;
  private final String host;

  private TransportServer(Server server, String host) {
    this.server = server;
    this.host = host;
  }

  /**
   * Starts listening on {@code host:port}; port 0 picks a free port (see {@link #port()}).
   *
   * @param pinned the cluster's members; consulted per call for every method other than Join and Hello
   * @throws IOException if the address cannot be bound, naming it
   */
  public static TransportServer start(String host, int port, NodeIdentity identity, PinnedPeers pinned,
      JoinHandler handler) throws IOException {
    return start(host, port, identity, pinned, handler, List.of());
  }

  /**
   * As {@link #start(String, int, NodeIdentity, PinnedPeers, JoinHandler)}, also serving {@code
   * services} (e.g. file sync), open to pinned members only; {@link #caller()} names the caller.
   */
  public static TransportServer start(String host, int port, NodeIdentity identity, PinnedPeers pinned,
      JoinHandler handler, List<BindableService> services) throws IOException {
    CallerInterceptor callers = new CallerInterceptor(pinned);
    NettyServerBuilder builder = NettyServerBuilder.forAddress(new InetSocketAddress(host, port))
        .sslContext(sslContext(identity))
        .maxInboundMessageSize(MAX_MESSAGE_BYTES)
        .flowControlWindow(FLOW_CONTROL_WINDOW)
        .permitKeepAliveTime(KEEPALIVE.toNanos() / 2, java.util.concurrent.TimeUnit.NANOSECONDS)
        .keepAliveTime(KEEPALIVE.toNanos(), java.util.concurrent.TimeUnit.NANOSECONDS)
        .keepAliveTimeout(KEEPALIVE_TIMEOUT.toNanos(), java.util.concurrent.TimeUnit.NANOSECONDS)
        .addService(ServerInterceptors.intercept(new TandemService(handler, identity.id()), callers));
    services.forEach(svc -> builder.addService(ServerInterceptors.intercept(svc, callers)));
    Server server = builder.build();
    try {
      return new TransportServer(server.start(), host);
    } catch (IOException e) {
      throw new IOException("cannot listen on " + host + ":" + port + " for tandem peers: " + e.getMessage()
          + "; make sure no other process uses that port and the address belongs to this host", e);
    }
  }

  /**
   * The node ID of the peer whose call is running on this thread (from its TLS certificate), for
   * services passed to {@link #start(String, int, NodeIdentity, PinnedPeers, JoinHandler, List)}.
   */
  public static NodeId caller() {
    NodeId id = CallerInterceptor.CALLER.get();
    if (id == null) {
      throw new IllegalStateException("no tandem call is running on this thread");
    }
    return id;
  }

  /** The port the server listens on; the chosen one when started with port 0. */
  public int port() {
    return server.getPort();
  }

  /** Stops accepting calls, gives running calls a few seconds, then cuts them off. */
  @Override
  public void close() {
    server.shutdown();
    try {
      if (!server.awaitTermination(CLOSE_GRACE_SECONDS, TimeUnit.SECONDS)) {
        server.shutdownNow().awaitTermination(CLOSE_GRACE_SECONDS, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      server.shutdownNow();
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public String toString() {
    return "TransportServer[" + host + ":" + port() + "]";
  }

  private static SslContext sslContext(NodeIdentity identity) throws SSLException {
    return GrpcSslContexts.configure(SslContextBuilder.forServer(identity.keyManager()))
        .trustManager(PinnedPeers.acceptAny())
        .clientAuth(ClientAuth.REQUIRE)
        .protocols(TLS_VERSION)
        .build();
  }
}
