package tandem.transport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Path;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509ExtendedTrustManager;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tandem.core.NodeId;

class PinnedPeersTest {
  private static final int SOCKET_TIMEOUT_MS = 10_000;

  @TempDir Path dir;
  private NodeIdentity n1;
  private NodeIdentity n2;
  private NodeIdentity stranger;

  @BeforeEach
  void createIdentities() {
    Identities identities = new Identities(dir);
    n1 = identities.create("n1");
    n2 = identities.create("n2");
    stranger = identities.create("stranger");
  }

  @Test
  void pinnedPeer_isAcceptedAsClientAndAsServer() {
    X509ExtendedTrustManager trust = new PinnedPeers(Set.of(n1.id(), n2.id())).trustManager("this cluster");
    X509Certificate[] chain = {n2.certificate()};

    assertThatCode(() -> {
      trust.checkClientTrusted(chain, "EC");
      trust.checkClientTrusted(chain, "EC", (java.net.Socket) null);
      trust.checkClientTrusted(chain, "EC", (javax.net.ssl.SSLEngine) null);
      trust.checkServerTrusted(chain, "EC");
      trust.checkServerTrusted(chain, "EC", (java.net.Socket) null);
      trust.checkServerTrusted(chain, "EC", (javax.net.ssl.SSLEngine) null);
    }).doesNotThrowAnyException();
    assertThat(trust.getAcceptedIssuers()).isEmpty();
  }

  @Test
  void unpinnedClient_isRefusedWithItsIdCnThePinsAndTheFix() {
    X509ExtendedTrustManager trust = new PinnedPeers(Set.of(n1.id(), n2.id())).trustManager("this cluster");

    assertThatThrownBy(() -> trust.checkClientTrusted(new X509Certificate[] {stranger.certificate()}, "EC",
        (javax.net.ssl.SSLEngine) null))
        .isInstanceOf(CertificateException.class)
        .hasMessageContaining("the client's certificate " + stranger.id().shortForm())
        .hasMessageContaining("node ID " + stranger.id().value())
        .hasMessageContaining("tandem node stranger")
        .hasMessageContaining("this cluster trusts only")
        .hasMessageContaining(n1.id().shortForm())
        .hasMessageContaining(n2.id().shortForm())
        .hasMessageContaining(PinnedTrustManager.FIX);
  }

  @Test
  void unpinnedServer_isRefusedWithAHintToCheckTheAddress() {
    X509ExtendedTrustManager trust = new PinnedPeers(Set.of(n1.id())).trustManager("the join token");

    assertThatThrownBy(() -> trust.checkServerTrusted(new X509Certificate[] {stranger.certificate()}, "EC"))
        .isInstanceOf(CertificateException.class)
        .hasMessageStartingWith("the server's certificate " + stranger.id().shortForm())
        .hasMessageContaining("the join token trusts only " + n1.id().shortForm())
        .hasMessageContaining("check the address");
  }

  @Test
  void emptyChainOrEmptyPins_areRefused() {
    X509ExtendedTrustManager trust = new PinnedPeers(Set.of()).trustManager("this cluster");

    assertThatThrownBy(() -> trust.checkClientTrusted(new X509Certificate[0], "EC"))
        .isInstanceOf(CertificateException.class)
        .hasMessageContaining("offered no certificate");
    assertThatThrownBy(() -> trust.checkClientTrusted(new X509Certificate[] {n1.certificate()}, "EC"))
        .isInstanceOf(CertificateException.class)
        .hasMessageContaining("this cluster trusts no node yet");
  }

  @Test
  void replaceAndAdd_changeWhatAnExistingTrustManagerAccepts() throws Exception {
    PinnedPeers pinned = new PinnedPeers(Set.of(n1.id()));
    X509ExtendedTrustManager trust = pinned.trustManager("this cluster");
    X509Certificate[] n2Chain = {n2.certificate()};
    assertThatThrownBy(() -> trust.checkClientTrusted(n2Chain, "EC")).isInstanceOf(CertificateException.class);

    pinned.add(n2.id());
    trust.checkClientTrusted(n2Chain, "EC");
    pinned.replace(Set.of(stranger.id()));

    assertThatThrownBy(() -> trust.checkClientTrusted(n2Chain, "EC")).isInstanceOf(CertificateException.class);
    assertThat(pinned.snapshot()).containsExactly(stranger.id());
    assertThat(pinned.contains(stranger.id())).isTrue();
    assertThat(pinned.contains(n1.id())).isFalse();
  }

  @Test
  void snapshot_isAnImmutableCopy() {
    Set<NodeId> initial = new HashSet<>(Set.of(n1.id()));
    PinnedPeers pinned = new PinnedPeers(initial);
    initial.add(n2.id());

    Set<NodeId> snapshot = pinned.snapshot();
    pinned.add(n2.id());

    assertThat(snapshot).containsExactly(n1.id());
    assertThatThrownBy(() -> snapshot.add(stranger.id())).isInstanceOf(UnsupportedOperationException.class);
  }

  @Test
  void acceptAny_acceptsEveryCertificate() {
    X509ExtendedTrustManager trust = PinnedPeers.acceptAny();

    assertThatCode(() -> {
      trust.checkClientTrusted(new X509Certificate[] {stranger.certificate()}, "EC");
      trust.checkServerTrusted(new X509Certificate[] {stranger.certificate()}, "EC");
    }).doesNotThrowAnyException();
    assertThat(trust.getAcceptedIssuers()).isEmpty();
  }

  @Test
  void unpinnedClient_failsARealTlsHandshake_andTheServerSeesItsId() throws Exception {
    SSLContext serverTls = tls(n1, new PinnedPeers(Set.of(n2.id())).trustManager("this cluster"));
    SSLContext clientTls = tls(stranger, new PinnedPeers(Set.of(n1.id())).trustManager("the join token"));

    try (SSLServerSocket server = listen(serverTls)) {
      CompletableFuture<Void> accepted = CompletableFuture.runAsync(() -> acceptAndHandshake(server));
      try (SSLSocket client = (SSLSocket) clientTls.getSocketFactory()
          .createSocket(InetAddress.getLoopbackAddress(), server.getLocalPort())) {
        client.setSoTimeout(SOCKET_TIMEOUT_MS);
        // TLS 1.3: the client may finish before the server has judged its certificate; the read sees the alert.
        assertThatThrownBy(() -> {
          client.startHandshake();
          client.getInputStream().read();
        }).isInstanceOf(IOException.class);
      }

      assertThatThrownBy(() -> accepted.get(SOCKET_TIMEOUT_MS, TimeUnit.MILLISECONDS))
          .rootCause()
          .isInstanceOf(CertificateException.class)
          .hasMessageContaining("the client's certificate " + stranger.id().shortForm())
          .hasMessageContaining(stranger.id().value());
    }
  }

  @Test
  void pinnedClient_completesARealTlsHandshake() throws Exception {
    SSLContext serverTls = tls(n1, new PinnedPeers(Set.of(n2.id())).trustManager("this cluster"));
    SSLContext clientTls = tls(n2, new PinnedPeers(Set.of(n1.id())).trustManager("this cluster"));

    try (SSLServerSocket server = listen(serverTls)) {
      CompletableFuture<Void> accepted = CompletableFuture.runAsync(() -> acceptAndHandshake(server));
      try (SSLSocket client = (SSLSocket) clientTls.getSocketFactory()
          .createSocket(InetAddress.getLoopbackAddress(), server.getLocalPort())) {
        client.setSoTimeout(SOCKET_TIMEOUT_MS);
        client.startHandshake();

        assertThat(client.getInputStream().read()).isEqualTo(1);
        assertThat(NodeIdentity.idOf((X509Certificate) client.getSession().getPeerCertificates()[0])).isEqualTo(n1.id());
      }
      // After the client closed: a TLS 1.3 server's close waits for the client's close_notify.
      accepted.get(SOCKET_TIMEOUT_MS, TimeUnit.MILLISECONDS);
    }
  }

  private static SSLContext tls(NodeIdentity identity, X509ExtendedTrustManager trust) throws Exception {
    SSLContext context = SSLContext.getInstance("TLSv1.3");
    context.init(new KeyManager[] {identity.keyManager()}, new TrustManager[] {trust}, null);
    return context;
  }

  private static SSLServerSocket listen(SSLContext tls) throws IOException {
    SSLServerSocket server = (SSLServerSocket) tls.getServerSocketFactory()
        .createServerSocket(0, 1, InetAddress.getLoopbackAddress());
    server.setNeedClientAuth(true);
    server.setSoTimeout(SOCKET_TIMEOUT_MS);
    return server;
  }

  /** Accepts one connection and completes the handshake, writing one byte so the client's read returns. */
  private static void acceptAndHandshake(SSLServerSocket server) {
    try (SSLSocket socket = (SSLSocket) server.accept()) {
      socket.setSoTimeout(SOCKET_TIMEOUT_MS);
      socket.startHandshake();
      socket.getOutputStream().write(1);
      socket.getOutputStream().flush();
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }
}
