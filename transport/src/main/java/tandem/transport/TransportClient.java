package tandem.transport;

import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContext;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import javax.net.ssl.SSLException;
import javax.net.ssl.X509ExtendedTrustManager;
import tandem.transport.proto.HelloReply;
import tandem.transport.proto.HelloRequest;
import tandem.transport.proto.JoinReply;
import tandem.transport.proto.JoinRequest;
import tandem.transport.proto.TandemGrpc;

/**
 * A connection from this node to one peer's {@link TransportServer}: mutual TLS 1.3 with this
 * node's identity, the server trusted only if {@code serverTrust} accepts it. The connection is
 * made on the first call and re-made after failures; safe for concurrent use.
 */
public final class TransportClient implements AutoCloseable {
  private static final long CLOSE_GRACE_SECONDS = 5;

  private final ManagedChannel channel;
  private final String target;

  private TransportClient(ManagedChannel channel, String target) {
    this.channel = channel;
    this.target = target;
  }

  /**
   * Prepares a connection to {@code host:port}; nothing is sent until the first call.
   *
   * @param serverTrust decides whether the server is the node we mean, e.g. {@link
   *     JoinToken#inviterTrust()} or {@link PinnedPeers#trustManager}; no hostname is verified
   */
  public static TransportClient connect(String host, int port, NodeIdentity me, X509ExtendedTrustManager serverTrust) {
    ManagedChannel channel = NettyChannelBuilder.forAddress(host, port).sslContext(sslContext(me, serverTrust))
        .maxInboundMessageSize(TransportServer.MAX_MESSAGE_BYTES).flowControlWindow(TransportServer.FLOW_CONTROL_WINDOW)
        // A silent partition (packets dropped, no reset) would leave a stream open for the kernel's
        // retransmission timeout, about 15 minutes; pings find it in KEEPALIVE + KEEPALIVE_TIMEOUT.
        .keepAliveTime(TransportServer.KEEPALIVE.toNanos(), java.util.concurrent.TimeUnit.NANOSECONDS)
        .keepAliveTimeout(TransportServer.KEEPALIVE_TIMEOUT.toNanos(), java.util.concurrent.TimeUnit.NANOSECONDS)
        .build();
    return new TransportClient(channel, host + ":" + port);
  }

  /**
   * Asks the server to admit this node.
   *
   * @throws IOException if the server cannot be reached, TLS fails (e.g. the server is not the
   *     node the token names), no answer comes within {@code deadline}, or the server failed
   */
  public JoinReply join(JoinRequest request, Duration deadline) throws IOException {
    return call("Join", deadline, stub -> stub.join(request));
  }

  /**
   * Asks the server whether this node is a member of its cluster.
   *
   * @throws IOException as for {@link #join}
   */
  public HelloReply hello(HelloRequest request, Duration deadline) throws IOException {
    return call("Hello", deadline, stub -> stub.hello(request));
  }

  /** The channel, for streaming services (file sync) that make their own stubs. */
  public ManagedChannel channel() {
    return channel;
  }

  /**
   * The channel, trying to connect at once if its last attempt failed. gRPC waits between attempts up to 2 minutes
   * (1 s, growing 1.6 times each), and calls meanwhile fail at once: a replica whose primary's agent came back
   * followed its database again only 74 s later. tandem's callers retry on their own schedule (every second), so
   * each of their calls may as well try.
   */
  public ManagedChannel channelRetryingNow() {
    if (channel.getState(false) == io.grpc.ConnectivityState.TRANSIENT_FAILURE) {
      // A call made while the state still reads TRANSIENT_FAILURE would fail at once with the old error: wait (briefly)
      // until the new attempt has begun; a call then waits for its outcome.
      java.util.concurrent.CountDownLatch moved = new java.util.concurrent.CountDownLatch(1);
      channel.notifyWhenStateChanged(io.grpc.ConnectivityState.TRANSIENT_FAILURE, moved::countDown);
      channel.resetConnectBackoff();
      try {
        moved.await(1, java.util.concurrent.TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    return channel;
  }

  /** Where this client connects, host:port. */
  public String target() {
    return target;
  }

  @Override
  public void close() {
    channel.shutdownNow();
    try {
      channel.awaitTermination(CLOSE_GRACE_SECONDS, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public String toString() {
    return "TransportClient[" + target + "]";
  }

  private <T> T call(String rpc, Duration deadline, Function<TandemGrpc.TandemBlockingStub, T> rpcCall)
      throws IOException {
    TandemGrpc.TandemBlockingStub stub =
        TandemGrpc.newBlockingStub(channel).withDeadlineAfter(deadline.toNanos(), TimeUnit.NANOSECONDS);
    try {
      return rpcCall.apply(stub);
    } catch (StatusRuntimeException e) {
      throw TransportFailure.explain(e, rpc, target, deadline);
    }
  }

  private static SslContext sslContext(NodeIdentity me, X509ExtendedTrustManager serverTrust) {
    try {
      return GrpcSslContexts.forClient()
          .keyManager(me.keyManager())
          .trustManager(serverTrust)
          .protocols(TransportServer.TLS_VERSION)
          .build();
    } catch (SSLException e) {
      // Only a broken TLS provider gets here: the inputs are an in-memory key and a trust manager.
      throw new UncheckedIOException("cannot set up TLS for node " + me.id().shortForm() + ": " + e.getMessage(), e);
    }
  }
}
