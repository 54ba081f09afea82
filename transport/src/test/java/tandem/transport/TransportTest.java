package tandem.transport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import javax.net.ssl.X509ExtendedTrustManager;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tandem.core.NodeId;
import tandem.transport.proto.HelloReply;
import tandem.transport.proto.HelloRequest;
import tandem.transport.proto.JoinReply;
import tandem.transport.proto.JoinRequest;
import tandem.transport.proto.Member;

/** A real server and real clients over mutual TLS on 127.0.0.1. */
class TransportTest {
  private static final String LOOPBACK = "127.0.0.1";
  private static final Duration DEADLINE = Duration.ofSeconds(20);

  @TempDir Path dir;
  private Identities identities;
  private NodeIdentity inviter;
  private NodeIdentity joiner;
  private RecordingHandler handler;
  private TransportServer server;

  @BeforeEach
  void startInviter() throws IOException {
    identities = new Identities(dir);
    inviter = identities.create("n1", "db1.example.invalid", "10.9.9.9");
    joiner = identities.create("n2");
    handler = new RecordingHandler();
    server = TransportServer.start(LOOPBACK, 0, inviter, new PinnedPeers(Set.of(inviter.id())), handler);
  }

  @AfterEach
  void stopServer() {
    server.close();
  }

  @Test
  void join_reachesTheHandlerWithTheCallersNodeId() throws IOException {
    JoinToken token = JoinToken.generate(inviter.id());

    try (TransportClient client = TransportClient.connect(LOOPBACK, server.port(), joiner, token.inviterTrust())) {
      JoinReply reply = client.join(joinRequest(joiner, token.secret()), DEADLINE);

      assertThat(reply.getAccepted()).isTrue();
      assertThat(reply.getCluster()).isEqualTo("c1");
    }
    assertThat(handler.caller.get()).isEqualTo(joiner.id());
    assertThat(handler.secret.get()).isEqualTo(token.secret());
  }

  /**
   * A peer that was down and is back is reached by the next call that asks for it, not after gRPC's reconnect
   * backoff (a call meanwhile fails at once without trying).
   */
  @Test
  void peerThatComesBack_isReachedByTheNextCall_notAfterTheReconnectBackoff() throws Exception {
    int port;
    try (var s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getByName(LOOPBACK))) {
      port = s.getLocalPort();
    }
    HelloRequest hello = HelloRequest.newBuilder().setCluster("c1").setName("n2").build();
    try (TransportClient client = TransportClient.connect(LOOPBACK, port, joiner, trusting(inviter))) {
      assertThatThrownBy(() -> client.hello(hello, DEADLINE)).as("nothing listens yet").isInstanceOf(IOException.class);
      org.awaitility.Awaitility.await().atMost(DEADLINE).until(() ->
          client.channel().getState(false) == io.grpc.ConnectivityState.TRANSIENT_FAILURE);
      TransportServer back = TransportServer.start(LOOPBACK, port, inviter, new PinnedPeers(Set.of(inviter.id())), handler);
      try {
        client.channelRetryingNow();
        assertThat(client.hello(hello, Duration.ofSeconds(5)).getMessage()).contains(joiner.id().shortForm());
      } finally {
        back.close();
      }
    }
  }

  @Test
  void hello_fromAnUnpinnedCaller_reachesTheHandler() throws IOException {
    try (TransportClient client = TransportClient.connect(LOOPBACK, server.port(), joiner, trusting(inviter))) {
      HelloReply reply = client.hello(HelloRequest.newBuilder().setCluster("c1").setName("n2").build(), DEADLINE);

      assertThat(reply.getMember()).isFalse();
      assertThat(reply.getMessage()).contains(joiner.id().shortForm());
    }
    assertThat(handler.caller.get()).isEqualTo(joiner.id());
  }

  @Test
  void serverThatIsNotTheTokensInviter_isRefusedByTheClient_namingBothIds() {
    NodeIdentity expected = identities.create("n3");
    JoinToken token = JoinToken.generate(expected.id());

    try (TransportClient client = TransportClient.connect(LOOPBACK, server.port(), joiner, token.inviterTrust())) {
      assertThatThrownBy(() -> client.join(joinRequest(joiner, token.secret()), DEADLINE))
          .isInstanceOf(IOException.class)
          .hasMessageStartingWith("TLS with 127.0.0.1:" + server.port() + " failed: the server's certificate "
              + inviter.id().shortForm())
          .hasMessageContaining(inviter.id().value())
          .hasMessageContaining("tandem node n1")
          .hasMessageContaining("the join token trusts only " + expected.id().shortForm())
          .hasMessageContaining("check the address");
    }
    assertThat(handler.caller.get()).isNull();
  }

  @Test
  void hostnameIsNotVerified_thePinDecides() throws IOException {
    // The inviter's certificate names db1.example.invalid and 10.9.9.9, neither of which we dial.
    for (String host : new String[] {"localhost", LOOPBACK}) {
      try (TransportClient client = TransportClient.connect(host, server.port(), joiner, trusting(inviter))) {
        JoinReply reply = client.join(joinRequest(joiner, "secret"), DEADLINE);

        assertThat(reply.getAccepted()).as("via %s", host).isTrue();
      }
    }
  }

  @Test
  void joinNamingAnotherNodeId_isRefusedBeforeTheHandler() throws IOException {
    NodeIdentity other = identities.create("n3");
    JoinRequest claimsToBeOther = JoinRequest.newBuilder().setTokenSecret("secret")
        .setMe(member(joiner).setNodeId(other.id().value())).build();

    try (TransportClient client = TransportClient.connect(LOOPBACK, server.port(), joiner, trusting(inviter))) {
      JoinReply reply = client.join(claimsToBeOther, DEADLINE);

      assertThat(reply.getAccepted()).isFalse();
      assertThat(reply.getMessage()).startsWith("join refused: the request names node ID '" + other.id().value() + "'")
          .contains(joiner.id().value());
    }
    assertThat(handler.caller.get()).isNull();
  }

  @Test
  void joinCarryingAnotherNodesCertificate_isRefusedBeforeTheHandler() throws IOException {
    NodeIdentity other = identities.create("n3");
    JoinRequest withOthersCertificate = JoinRequest.newBuilder().setTokenSecret("secret")
        .setMe(member(joiner).setCertificatePem(other.certificatePem())).build();

    try (TransportClient client = TransportClient.connect(LOOPBACK, server.port(), joiner, trusting(inviter))) {
      JoinReply reply = client.join(withOthersCertificate, DEADLINE);

      assertThat(reply.getAccepted()).isFalse();
      assertThat(reply.getMessage()).contains("the certificate of node " + other.id().shortForm());
    }
    assertThat(handler.caller.get()).isNull();
  }

  @Test
  void handlerFailure_reachesTheClientAsAMessageWithoutStackTrace() {
    handler.failure.set(new IllegalStateException("raft group is not ready"));

    try (TransportClient client = TransportClient.connect(LOOPBACK, server.port(), joiner, trusting(inviter))) {
      assertThatThrownBy(() -> client.join(joinRequest(joiner, "secret"), DEADLINE))
          .isInstanceOf(IOException.class)
          .hasMessageContaining("INTERNAL: Join failed on node " + inviter.id().shortForm()
              + ": IllegalStateException: raft group is not ready")
          .hasMessageNotContaining("at tandem.");
    }
  }

  @Test
  void slowAnswer_failsAtTheDeadlineNamingIt() throws Exception {
    handler.gate = new CountDownLatch(1);
    try (TransportClient client = TransportClient.connect(LOOPBACK, server.port(), joiner, trusting(inviter))) {
      assertThatThrownBy(() -> client.hello(HelloRequest.getDefaultInstance(), Duration.ofMillis(300)))
          .isInstanceOf(IOException.class)
          .hasMessageStartingWith("no answer from 127.0.0.1:" + server.port() + " to Hello within 300ms");
    } finally {
      handler.gate.countDown();
    }
  }

  @Test
  void closedPort_saysItCannotConnect() throws IOException {
    int port;
    try (TransportServer other = TransportServer.start(LOOPBACK, 0, inviter, new PinnedPeers(Set.of()), handler)) {
      port = other.port();
    }

    try (TransportClient client = TransportClient.connect(LOOPBACK, port, joiner, trusting(inviter))) {
      assertThatThrownBy(() -> client.hello(HelloRequest.getDefaultInstance(), DEADLINE))
          .isInstanceOf(IOException.class)
          .hasMessageStartingWith("cannot connect to 127.0.0.1:" + port);
    }
  }

  @Test
  void portInUse_failsToStartNamingTheAddress() {
    assertThatThrownBy(() -> TransportServer.start(LOOPBACK, server.port(), inviter, new PinnedPeers(Set.of()), handler))
        .isInstanceOf(IOException.class)
        .hasMessageStartingWith("cannot listen on 127.0.0.1:" + server.port());
  }

  /** A trust manager pinned to one server, as the cluster layer builds it for its members. */
  private static X509ExtendedTrustManager trusting(NodeIdentity server) {
    return new PinnedPeers(Set.of(server.id())).trustManager("this cluster");
  }

  private static JoinRequest joinRequest(NodeIdentity me, String secret) {
    return JoinRequest.newBuilder().setTokenSecret(secret).setMe(member(me)).build();
  }

  private static Member.Builder member(NodeIdentity me) {
    return Member.newBuilder().setName("n2").setNodeId(me.id().value()).setCertificatePem(me.certificatePem())
        .setListen("127.0.0.1:7400");
  }

  /** Records the last call, answers like a cluster layer would, and can fail or hold a call on request. */
  private static final class RecordingHandler implements JoinHandler {
    final AtomicReference<NodeId> caller = new AtomicReference<>();
    final AtomicReference<String> secret = new AtomicReference<>();
    final AtomicReference<RuntimeException> failure = new AtomicReference<>();
    volatile CountDownLatch gate = new CountDownLatch(0);

    @Override
    public JoinReply join(JoinRequest request, NodeId from) {
      pass();
      caller.set(from);
      secret.set(request.getTokenSecret());
      return JoinReply.newBuilder().setAccepted(true).setCluster("c1").setRaftGroupId("g1").build();
    }

    @Override
    public HelloReply hello(HelloRequest request, NodeId from) {
      pass();
      caller.set(from);
      return HelloReply.newBuilder().setMember(false)
          .setMessage("node " + from.shortForm() + " is not a member of cluster c1").build();
    }

    private void pass() {
      try {
        if (!gate.await(1, TimeUnit.MINUTES)) {
          throw new IllegalStateException("test gate never opened");
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(e);
      }
      RuntimeException f = failure.get();
      if (f != null) {
        throw f;
      }
    }
  }
}
