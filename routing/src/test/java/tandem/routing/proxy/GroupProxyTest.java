package tandem.routing.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tandem.config.HostPort;
import tandem.config.ProxyConfig;
import tandem.core.NodeName;
import tandem.core.Role;
import tandem.resource.RoleChange;
import tandem.transport.NodeIdentity;
import tandem.transport.PinnedPeers;

/**
 * Two nodes' proxies in one JVM, each on its own loopback address (n1 on 127.0.0.1, n2 on
 * 127.0.0.2) with its own backend, joined by the real mutual-TLS hop. The cluster state they
 * follow is a plain record the test changes, as Raft would.
 */
class GroupProxyTest {
  private static final Duration WAIT = Duration.ofMillis(1000);
  private static final Map<String, String> HOSTS = Map.of("n1", "127.0.0.1", "n2", "127.0.0.2", "n3", "127.0.0.3");

  @TempDir
  static Path dir;
  private static final Map<String, Backend> backends = new ConcurrentHashMap<>();
  private static final Map<String, GroupProxy> proxies = new ConcurrentHashMap<>();
  private static final Map<String, Integer> listen = new ConcurrentHashMap<>();
  private static final Map<String, Integer> read = new ConcurrentHashMap<>();
  private static final Map<String, NodeIdentity> ids = new ConcurrentHashMap<>();
  /** The cluster state each node has applied: usually the same, sometimes one lags. */
  private static final Map<String, State> states = new ConcurrentHashMap<>();
  private final List<Socket> clients = new ArrayList<>();

  private record State(String primary, long epoch, List<String> replicas) {}

  @BeforeAll
  static void start() throws Exception {
    int peerPort = freePort("127.0.0.1");
    for (String n : List.of("n1", "n2")) {
      ids.put(n, NodeIdentity.create(dir.resolve(n), new NodeName(n), List.of(HOSTS.get(n))));
    }
    PinnedPeers pinned = new PinnedPeers(Set.of(ids.get("n1").id(), ids.get("n2").id()));
    for (String n : List.of("n1", "n2")) {
      String host = HOSTS.get(n);
      backends.put(n, new Backend(n, host));
      listen.put(n, freePort(host));
      read.put(n, freePort(host));
      ProxyConfig cfg = new ProxyConfig(new HostPort(host, listen.get(n)), new HostPort(host, backends.get(n).port()),
          Optional.of(new HostPort(host, read.get(n))), peerPort);
      proxies.put(n, new GroupProxy("web", cfg, host, new View(n), GroupProxy.tls(ids.get(n).keyManager(),
          pinned.trustManager("proxy")), c -> NodeIdentity.idOf(c).value(), WAIT).start());
    }
  }

  @AfterAll
  static void stop() throws Exception {
    proxies.values().forEach(GroupProxy::close);
    for (Backend b : backends.values()) {
      b.close();
    }
  }

  @BeforeEach
  void n1IsPrimary() throws Exception {
    primaryIs("n1", 1, List.of("n2"));
  }

  @Test
  void clientOnThePrimary_reachesItsLocalBackend() throws Exception {
    assertThat(hello("n1", listen)).isEqualTo("n1");
  }

  @Test
  void clientOnAReplica_isForwardedToThePrimary_andBytesFlowBothWays() throws Exception {
    Socket s = connect("n2", listen);
    BufferedReader in = reader(s);
    assertThat(in.readLine()).isEqualTo("n1");
    s.getOutputStream().write("ping\n".getBytes(StandardCharsets.US_ASCII));
    assertThat(in.readLine()).isEqualTo("ping");
  }

  @Test
  void halfClose_passesThroughTheHop_andTheAnswerStillComesBack() throws Exception {
    Socket s = connect("n2", listen);
    s.getOutputStream().write("last words\n".getBytes(StandardCharsets.US_ASCII));
    s.shutdownOutput();
    assertThat(new String(s.getInputStream().readAllBytes(), StandardCharsets.US_ASCII)).isEqualTo("n1\nlast words\n");
  }

  @Test
  void bulkBytes_arriveIntactThroughTheHop() throws Exception {
    byte[] data = new byte[2 << 20];
    new java.util.Random(6).nextBytes(data);
    Socket s = connect("n2", listen);
    Thread writer = Thread.ofVirtual().start(() -> {
      try {
        s.getOutputStream().write(data);
        s.shutdownOutput();
      } catch (IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    });
    byte[] back = s.getInputStream().readAllBytes();
    writer.join();
    assertThat(new String(back, 0, 3, StandardCharsets.US_ASCII)).isEqualTo("n1\n");
    assertThat(java.util.Arrays.equals(back, 3, back.length, data, 0, data.length)).as("echoed bytes equal").isTrue();
  }

  @Test
  void changeOfPrimary_closesConnectionsToTheOld_andNewOnesReachTheNew() throws Exception {
    List<BufferedReader> old = new ArrayList<>();
    for (String via : List.of("n1", "n2", "n1", "n2")) {
      BufferedReader in = reader(connect(via, listen));
      assertThat(in.readLine()).isEqualTo("n1");
      old.add(in);
    }
    primaryIs("n2", 2, List.of("n1"));
    for (BufferedReader in : old) {
      await("old connection closed").atMost(Duration.ofSeconds(5)).until(() -> ended(in));
    }
    assertThat(hello("n1", listen)).isEqualTo("n2");
    assertThat(hello("n2", listen)).isEqualTo("n2");
    clients.forEach(Splice::quietly);
    await("no proxied connection left once the clients are gone").atMost(Duration.ofSeconds(5))
        .until(() -> proxies.get("n1").connections() + proxies.get("n2").connections() == 0);
  }

  @Test
  void senderWithALateView_isRefusedByTheFormerPrimary() throws Exception {
    // n1 has been demoted under epoch 2 (its resource stopped); n2 has not applied that yet.
    primaryIs("n2", 2, List.of("n1"));
    states.put("n2", new State("n1", 1, List.of("n2")));
    int before = backends.get("n1").accepted();

    Socket s = connect("n2", listen);
    assertThat(s.getInputStream().read()).as("bytes from a former primary").isEqualTo(-1);
    assertThat(backends.get("n1").accepted()).as("connections made to n1's backend").isEqualTo(before);
  }

  @Test
  void primaryWhoseResourcesDoNotRunYet_holdsTheClientUntilTheyDo() throws Exception {
    states.put("n1", new State("n1", 3, List.of("n2")));
    states.put("n2", new State("n1", 3, List.of("n2")));
    Socket s = connect("n2", listen);
    BufferedReader in = reader(s);
    await("n2 holds the client while n1 starts").pollDelay(Duration.ofMillis(200)).atMost(Duration.ofSeconds(1))
        .until(() -> proxies.get("n1").connections() == 0);
    proxies.get("n1").resource().start(change("n1", 3));
    assertThat(in.readLine()).isEqualTo("n1");
  }

  @Test
  void noPrimary_clientIsClosedAfterTheWait() throws Exception {
    states.put("n1", new State(null, 4, List.of()));
    states.put("n2", new State(null, 4, List.of()));
    long t0 = System.nanoTime();
    Socket s = connect("n2", listen);
    assertThat(s.getInputStream().read()).isEqualTo(-1);
    assertThat(Duration.ofNanos(System.nanoTime() - t0)).isGreaterThanOrEqualTo(WAIT.minusMillis(100));
  }

  @Test
  void readListen_goesToHealthyReplicas_elseToThePrimary() throws Exception {
    assertThat(hello("n1", read)).isEqualTo("n2");
    assertThat(hello("n2", read)).isEqualTo("n2");
    primaryIs("n1", 1, List.of());
    assertThat(hello("n1", read)).isEqualTo("n1");
    assertThat(hello("n2", read)).isEqualTo("n1");
  }

  @Test
  void readListen_replicaThatDoesNotAnswer_thePrimaryServesTheRead() throws Exception {
    primaryIs("n1", 1, List.of("n3")); // n3 runs no proxy: its hop is refused
    assertThat(hello("n2", read)).isEqualTo("n1");
    assertThat(hello("n1", read)).isEqualTo("n1");
  }

  @Test
  void readConnection_isClosedWhenItsReplicaTurnsUnhealthy() throws Exception {
    BufferedReader in = reader(connect("n1", read));
    assertThat(in.readLine()).isEqualTo("n2");
    primaryIs("n1", 1, List.of());
    await("read connection to n2 closed").atMost(Duration.ofSeconds(5)).until(() -> ended(in));
  }

  @Test
  void peerWithAnotherIdentity_isNotTrusted() throws Exception {
    NodeIdentity stranger = NodeIdentity.create(dir.resolve("stranger"), new NodeName("x"), List.of("127.0.0.3"));
    javax.net.ssl.SSLContext tls = GroupProxy.tls(stranger.keyManager(), PinnedPeers.acceptAny());
    PeerHop hop = new PeerHop(tls, c -> NodeIdentity.idOf(c).value());
    ProxyView.Node n1 = new ProxyView.Node("n1", "127.0.0.1", ids.get("n1").id().value());
    int before = backends.get("n1").accepted();
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> hop.open(n1, peerPortOf(), "W web 1", 1000))
        .isInstanceOf(IOException.class);
    assertThat(backends.get("n1").accepted()).isEqualTo(before);
  }

  // ---- helpers ---------------------------------------------------------------------------

  private static int peerPortOf() {
    return proxies.get("n1").peerPort();
  }

  /** Both nodes apply a new primary; the old primary's resource stops, the new one's starts. */
  private static void primaryIs(String primary, long epoch, List<String> replicas) throws Exception {
    for (String n : List.of("n1", "n2")) {
      if (!n.equals(primary)) {
        proxies.get(n).resource().stop(change(n, epoch));
      }
    }
    State s = new State(primary, epoch, replicas);
    states.put("n1", s);
    states.put("n2", s);
    proxies.get(primary).resource().start(change(primary, epoch));
  }

  private static RoleChange change(String node, long epoch) {
    return new RoleChange(node, "web", Role.PRIMARY, Role.REPLICA, epoch);
  }

  private String hello(String via, Map<String, Integer> ports) throws IOException {
    return reader(connect(via, ports)).readLine();
  }

  private Socket connect(String via, Map<String, Integer> ports) throws IOException {
    Socket s = new Socket();
    clients.add(s);
    s.setSoTimeout(10_000);
    s.connect(new InetSocketAddress(HOSTS.get(via), ports.get(via)), 2000);
    return s;
  }

  private static BufferedReader reader(Socket s) throws IOException {
    return new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.US_ASCII));
  }

  private static boolean ended(BufferedReader in) {
    try {
      return in.read() < 0;
    } catch (IOException e) {
      return true;
    }
  }

  @org.junit.jupiter.api.AfterEach
  void closeClients() {
    clients.forEach(Splice::quietly);
  }

  private static int freePort(String host) throws IOException {
    try (ServerSocket s = new ServerSocket()) {
      s.bind(new InetSocketAddress(host, 0));
      return s.getLocalPort();
    }
  }

  /** One node's reading of {@link #states}. */
  private record View(String self) implements ProxyView {
    @Override
    public Optional<Node> primary(String group) {
      return Optional.ofNullable(states.get(self).primary()).map(GroupProxyTest::node);
    }

    @Override
    public long epoch(String group) {
      return states.get(self).epoch();
    }

    @Override
    public List<Node> replicas(String group) {
      return states.get(self).replicas().stream().map(GroupProxyTest::node).toList();
    }
  }

  private static ProxyView.Node node(String name) {
    NodeIdentity id = ids.get(name);
    return new ProxyView.Node(name, HOSTS.get(name), id == null ? "no-such-node" : id.id().value());
  }
}
