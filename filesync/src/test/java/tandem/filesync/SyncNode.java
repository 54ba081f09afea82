package tandem.filesync;

import io.grpc.Channel;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import tandem.config.FilesConfig;
import tandem.core.Event;
import tandem.core.NodeId;
import tandem.core.NodeName;
import tandem.transport.JoinHandler;
import tandem.transport.NodeIdentity;
import tandem.transport.PinnedPeers;
import tandem.transport.TransportClient;
import tandem.transport.TransportServer;

/**
 * Test fixture: one node of a file sync test, with a real identity, a real mutual-TLS transport
 * server on 127.0.0.1 serving file sync, and a replicated directory. The nodes of a test share a
 * {@link View} of who is primary under which epoch, which tests change to play failovers.
 */
final class SyncNode implements AutoCloseable {
  /** The cluster as the test scripts it: the primary and epoch every node sees. */
  static final class View implements SyncPeers {
    final Map<String, SyncNode> nodes = new ConcurrentHashMap<>();
    volatile String primary;
    volatile long epoch;

    @Override
    public Optional<Primary> primary(String group) {
      SyncNode p = primary == null ? null : nodes.get(primary);
      return p == null ? Optional.empty() : Optional.of(new Primary(p.name, p.identity.id(), epoch));
    }

    @Override
    public List<Peer> replicas(String group) {
      return nodes.values().stream().filter(n -> !n.name.equals(primary))
          .map(n -> new Peer(n.name, n.identity.id(), "127.0.0.1", n.server.port())).toList();
    }

    Set<NodeId> ids() {
      return Set.copyOf(nodes.values().stream().map(n -> n.identity.id()).toList());
    }
  }

  private static final JoinHandler NO_JOINS = new JoinHandler() {
    @Override
    public tandem.transport.proto.JoinReply join(tandem.transport.proto.JoinRequest request, NodeId caller) {
      return tandem.transport.proto.JoinReply.newBuilder().setMessage("no joins in this test").build();
    }

    @Override
    public tandem.transport.proto.HelloReply hello(tandem.transport.proto.HelloRequest request, NodeId caller) {
      return tandem.transport.proto.HelloReply.newBuilder().setMessage("no hellos in this test").build();
    }
  };

  final String name;
  final NodeIdentity identity;
  final Path root;
  final List<Event> events = new CopyOnWriteArrayList<>();
  final ReplicatedDir dir;
  private final TransportServer server;
  private final PinnedPeers pinned;
  private final Map<String, TransportClient> clients = new ConcurrentHashMap<>();

  SyncNode(Path base, String name, View view, FilesConfig cfg, NodeIdentity identity, PinnedPeers pinned)
      throws IOException {
    this.name = name;
    this.identity = identity;
    this.pinned = pinned;
    this.root = cfg.path();
    FileSyncService service = new FileSyncService(name, view, events::add);
    this.server = TransportServer.start("127.0.0.1", 0, identity, pinned, NO_JOINS, List.of(service.withAliasingParser()));
    this.dir = ReplicatedDir.open(name, "web", 0, cfg, base.resolve(name + "-data"), view, this::channel, events::add,
        service);
    view.nodes.put(name, this);
  }

  static SyncNode start(Path base, String name, View view, PinnedPeers pinned, String... exclude) throws IOException {
    return start(base, name, view, pinned, Optional.empty(), Optional.empty(), exclude);
  }

  /** A node whose files resource sets {@code owner:} and {@code versions: { keep: }} as tandem.yaml would. */
  static SyncNode start(Path base, String name, View view, PinnedPeers pinned, Optional<String> owner,
      Optional<Duration> keepVersions, String... exclude) throws IOException {
    NodeIdentity id = NodeIdentity.create(base.resolve(name + "-id"), new NodeName(name), List.of());
    pinned.add(id.id());
    FilesConfig cfg = new FilesConfig(base.resolve(name + "-files"), List.of(exclude), owner, keepVersions,
        Duration.ofHours(1));
    return new SyncNode(base, name, view, cfg, id, pinned);
  }

  int port() {
    return server.port();
  }

  private Channel channel(SyncPeers.Peer p) {
    return clients.computeIfAbsent(p.name(), k -> TransportClient.connect(p.host(), p.port(), identity,
        pinned.trustManager("test"))).channel();
  }

  TransportClient clientTo(SyncNode other, NodeIdentity as) {
    TransportClient c = TransportClient.connect("127.0.0.1", other.port(), as, pinned.trustManager("test"));
    clients.put("raw-" + other.name + "-" + as.id().shortForm(), c);
    return c;
  }

  boolean hasEvent(String kind) {
    return events.stream().anyMatch(e -> e.kind().equals(kind));
  }

  @Override
  public void close() {
    dir.close();
    clients.values().forEach(TransportClient::close);
    server.close();
  }
}
