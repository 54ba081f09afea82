package tandem.db;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tandem.core.NodeId;
import tandem.core.NodeName;
import tandem.transport.JoinHandler;
import tandem.transport.NodeIdentity;
import tandem.transport.PinnedPeers;
import tandem.transport.TransportClient;
import tandem.transport.TransportServer;

/**
 * The primary's agent hands its database's connection facts (passwords included) over real mutual
 * TLS only to a data node of the group, under the current epoch, while its server runs as primary.
 */
class DatabaseFactsServiceTest {
  private static final JoinHandler NO_JOINS = new JoinHandler() {
    @Override
    public tandem.transport.proto.JoinReply join(tandem.transport.proto.JoinRequest request, NodeId caller) {
      return tandem.transport.proto.JoinReply.newBuilder().setMessage("no joins here").build();
    }

    @Override
    public tandem.transport.proto.HelloReply hello(tandem.transport.proto.HelloRequest request, NodeId caller) {
      return tandem.transport.proto.HelloReply.newBuilder().setMessage("no hellos here").build();
    }
  };

  @TempDir Path dir;
  private NodeIdentity primary;
  private NodeIdentity replica;
  private NodeIdentity witness;
  private NodeIdentity stranger;
  private TransportServer server;
  private StubEngine engine;
  private ReplicatedDatabase db;
  private long epoch = 3;

  @BeforeEach
  void start() throws Exception {
    primary = NodeIdentity.create(dir.resolve("p"), new NodeName("p"), List.of("127.0.0.1"));
    replica = NodeIdentity.create(dir.resolve("r"), new NodeName("r"), List.of("127.0.0.1"));
    witness = NodeIdentity.create(dir.resolve("w"), new NodeName("w"), List.of("127.0.0.1"));
    stranger = NodeIdentity.create(dir.resolve("s"), new NodeName("s"), List.of("127.0.0.1"));
    DbPeers view = new DbPeers() {
      @Override
      public Optional<Primary> primary(String group) {
        return Optional.of(new Primary("p", primary.id(), epoch));
      }

      @Override
      public List<Peer> replicas(String group) {
        return List.of(new Peer("r", replica.id()));
      }
    };
    engine = new StubEngine();
    db = new ReplicatedDatabase("p", "db", 0, engine, view, (g, r, p) -> { throw new DbException("not used"); },
        e -> { }, dir.resolve("db.role"), "127.0.0.1");
    DatabaseFactsService service = new DatabaseFactsService("p", view, e -> { });
    service.register("db", 0, db);
    PinnedPeers members = new PinnedPeers(Set.of(primary.id(), replica.id(), witness.id()));
    server = TransportServer.start("127.0.0.1", 0, primary, members, NO_JOINS, List.of(service));
  }

  @AfterEach
  void stop() {
    server.close();
  }

  @Test
  void dataNodeOfTheGroup_underTheCurrentEpoch_getsTheFacts() throws Exception {
    db.becomePrimary(3);
    Upstream u = ask(replica, 3);
    assertThat(u.node()).isEqualTo("p");
    assertThat(u.port()).isEqualTo(5432);
    assertThat(u.replicationPassword()).isEqualTo("secret-repl");
    assertThat(u.certificatePem()).isEqualTo("PEM");
    assertThat(u.toString()).doesNotContain("secret");
  }

  @Test
  void staleEpoch_isRefused() throws Exception {
    db.becomePrimary(3);
    assertThat(refusal(replica, 2)).contains("FAILED_PRECONDITION").contains("epoch 2 of db is not the current one (3)");
  }

  @Test
  void memberThatIsNoDataNodeOfTheGroup_isRefused() throws Exception {
    db.becomePrimary(3);
    assertThat(refusal(witness, 3)).contains("PERMISSION_DENIED").doesNotContain("secret");
  }

  @Test
  void nodeOutsideTheCluster_isRefusedByTheTransport() throws Exception {
    db.becomePrimary(3);
    assertThat(refusal(stranger, 3)).doesNotContain("secret");
  }

  @Test
  void beforeTheServerRunsAsPrimary_theAnswerIsRetryLater() throws Exception {
    assertThat(refusal(replica, 3)).contains("UNAVAILABLE").contains("retry");
  }

  @Test
  void afterSteppingDown_nothingIsHandedOut() throws Exception {
    db.becomePrimary(3);
    db.stepDown();
    assertThat(refusal(replica, 3)).contains("UNAVAILABLE");
  }

  private Upstream ask(NodeIdentity as, long e) throws DbException {
    try (TransportClient c = TransportClient.connect("127.0.0.1", server.port(), as,
        new PinnedPeers(Set.of(primary.id())).trustManager("test"))) {
      return new UpstreamClient(n -> c.channel()).fetch("db", 0, new DbPeers.Primary("p", primary.id(), e));
    }
  }

  private String refusal(NodeIdentity as, long e) {
    DbException ex = catchThrowableOfType(DbException.class, () -> ask(as, e));
    assertThat(ex).as("a refusal").isNotNull();
    return ex.getMessage();
  }

  /** An engine that only remembers whether it runs; enough for the service's rules. */
  static final class StubEngine implements DatabaseEngine {
    volatile boolean running;

    @Override public String describe() { return "stub"; }
    @Override public boolean initialized() { return true; }
    @Override public boolean running() { return running; }
    @Override public LocalRole localRole() { return LocalRole.PRIMARY; }
    @Override public void bootstrap() { }
    @Override public void startPrimary() { running = true; }
    @Override public void promote() { running = true; }
    @Override public void startReplica(Upstream upstream) { running = true; }
    @Override public Rejoin rejoin(Upstream upstream, String tag) {
      running = true;
      return new Rejoin(Rejoin.How.FOLLOWED, java.util.Optional.empty(), java.util.Optional.empty(), "stub");
    }
    @Override public void stop() { running = false; }
    @Override public void keepCredentials(Upstream upstream) { }
    @Override public void ensureSlots(List<String> replicas) { }
    @Override public void setSynchronous(List<String> standbys, int count) { }
    @Override public List<String> fenceCommands() { return List.of(); }

    @Override
    public Upstream asUpstream(String node, String host, long epoch) {
      return new Upstream(node, host, 5432, "tandem_replication", "secret-repl", "tandem_admin", "secret-admin", "PEM", epoch);
    }

    @Override
    public DbStatus status() {
      return new DbStatus("", 0, "stub", running ? "primary" : "stopped", running ? "running" : "stopped", -1, -1, 0, -1, List.of());
    }
  }
}
