package tandem.agent;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tandem.api.ApiServer;
import tandem.backup.BackupScheduler;
import tandem.cluster.ClusterCommand;
import tandem.cluster.ClusterJoinHandler;
import tandem.cluster.ClusterState;
import tandem.cluster.CommandResult;
import tandem.cluster.DefinitionDiff;
import tandem.cluster.GroupState;
import tandem.cluster.LocalMembership;
import tandem.cluster.Member;
import tandem.cluster.NodeReport;
import tandem.cluster.raft.RaftCluster;
import tandem.cluster.raft.RaftSettings;
import tandem.config.BackupConfig;
import tandem.config.CheckConfig;
import tandem.config.CheckScope;
import tandem.config.CheckTarget;
import tandem.config.FilesConfig;
import tandem.config.GroupConfig;
import tandem.config.PostgresConfig;
import tandem.config.ProxyConfig;
import tandem.config.MariadbConfig;
import tandem.config.MaxLag;
import tandem.config.ServiceConfig;
import tandem.config.VipConfig;
import tandem.config.TandemConfig;
import tandem.core.Event;
import tandem.core.EventLog;
import tandem.core.Level;
import tandem.core.Mode;
import tandem.core.NodeId;
import tandem.core.Ticker;
import tandem.db.DatabaseFactsService;
import tandem.db.DbException;
import tandem.db.DbStatus;
import tandem.db.ReplicatedDatabase;
import tandem.db.UpstreamClient;
import tandem.db.mariadb.MariadbEngine;
import tandem.db.mariadb.MariadbSettings;
import tandem.db.postgres.PgBin;
import tandem.db.postgres.PostgresEngine;
import tandem.db.postgres.PostgresSettings;
import tandem.failover.FailoverCoordinator;
import tandem.failover.LeaseTiming;
import tandem.failover.LocalGroup;
import tandem.failover.fencing.Watchdog;
import tandem.filesync.FileSyncService;
import tandem.filesync.ReplicatedDir;
import tandem.filesync.SyncPeers;
import tandem.health.HealthMonitor;
import tandem.resource.Hook;
import tandem.resource.Resource;
import tandem.resource.ResourceChain;
import tandem.resource.ServiceResource;
import tandem.routing.dns.DnsResponder;
import tandem.routing.vip.VipResource;
import tandem.routing.proxy.GroupProxy;
import tandem.transport.NodeIdentity;
import tandem.transport.PinnedPeers;
import tandem.transport.TransportClient;
import tandem.transport.TransportServer;

/**
 * One tandem agent: wires the rooms together from the config, starts them in order and stops
 * them in reverse. Start order: identity, membership, Raft, transport, watchdog, local groups,
 * failover loop, API. A node with no cluster.json bootstraps a new cluster as its only member.
 */
public final class Agent implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(Agent.class);

  private final TandemConfig cfg;
  private final String self;
  private final NodeIdentity identity;
  private final EventLog events;
  private final long startedAtMillis = System.currentTimeMillis();
  private final PinnedPeers pinned;
  private final ClusterHandle cluster;
  /** The replicated databases' (and their facts service's) view of the cluster. */
  private final ClusterDbPeers dbPeers;
  private final ScheduledExecutorService background = Executors.newSingleThreadScheduledExecutor(r -> {
    Thread t = new Thread(r, "agent-background");
    t.setDaemon(true);
    return t;
  });
  private TransportServer transport;
  private Watchdog watchdog;
  private Map<String, LocalGroup> groups = Map.of();
  private FailoverCoordinator coordinator;
  private ApiServer api;
  private DnsResponder dns;
  private Generations generations;
  private FileSyncService fileSync;
  private volatile BackupScheduler backups;
  private WalPusher walPusher;
  private tandem.alert.Notifier notifier;
  private LagAlerts lagAlerts;
  private final tandem.failover.FailoverHistory failoverHistory = new tandem.failover.FailoverHistory(Ticker.system());
  private final List<ReplicatedDir> dirs = new java.util.concurrent.CopyOnWriteArrayList<>();
  private DatabaseFactsService dbFacts;
  private final List<ReplicatedDatabase> databases = new java.util.concurrent.CopyOnWriteArrayList<>();
  private final List<GroupProxy> proxies = new java.util.concurrent.CopyOnWriteArrayList<>();
  private final Map<String, TransportClient> peerClients = new java.util.concurrent.ConcurrentHashMap<>();
  private final Departures departures = new Departures(this);
  /**
   * The entries up to this index of the first Raft member's log were written before this agent
   * started: replaying them re-applies old memberships and epochs, which must neither narrow the
   * pinned peers nor overwrite cluster.json (a restarted node refused its peers' certificates
   * for two seconds while it replayed the joins).
   */
  private final long historyEnd;
  private final long historyGeneration;
  /** Set once the pinned peers and cluster.json were matched to the state after the replay. */
  private volatile boolean membershipSynced;
  /** What {@link #syncMembership} last found in, or wrote to, cluster.json. */
  private volatile LocalMembership membershipWritten;
  private volatile boolean left;
  private volatile Runnable whenLeft = () -> { };

  private Agent(TandemConfig cfg, NodeIdentity identity, EventLog events, PinnedPeers pinned, ClusterHandle cluster,
      long generation) {
    this.cfg = cfg;
    this.self = cfg.node().name().value();
    this.identity = identity;
    this.events = events;
    this.pinned = pinned;
    this.cluster = cluster;
    this.dbPeers = new ClusterDbPeers(self, cluster, identity);
    this.historyEnd = cluster.current().logEndAtStart();
    this.historyGeneration = generation;
  }

  public static Path dataDir(TandemConfig cfg) {
    return cfg.node().dataDir();
  }

  /** Starts the agent; returns once every part runs (the cluster may still be electing). */
  public static Agent start(TandemConfig cfg) throws Exception {
    Path data = cfg.node().dataDir();
    NodeIdentity identity = NodeIdentity.load(data);
    EventLog events = new EventLog(data.resolve("events.jsonl"));
    LocalMembership lm = LocalMembership.read(data);
    boolean bootstrap = lm == null;
    if (bootstrap) {
      Member me = selfMember(cfg, identity);
      lm = new LocalMembership(cfg.cluster(), 1, List.of(me), List.of(me.name()));
      lm.write(data);
    }
    checkSameCluster(cfg, lm);
    lm = withSelf(lm, selfMember(cfg, identity));
    PinnedPeers pinned = new PinnedPeers(ids(lm.members()));
    RefusalEvents refusals = new RefusalEvents(events, cfg.node().name().value());
    pinned.onRefusal(m -> refusals.refused("peer-refused", m));
    ClusterHandle cluster = new ClusterHandle(RaftCluster.start(raftSettings(cfg, identity, pinned, lm)));
    Agent a = new Agent(cfg, identity, events, pinned, cluster, lm.generation());
    a.startRest(bootstrap);
    return a;
  }

  /**
   * Waits until the state machine has re-applied this node's own log, so that the groups start
   * from the newest state this node knew (not an old epoch from the middle of the replay); entries
   * that were never committed cannot be applied before a leader exists, hence the bound.
   */
  private void awaitReplay(Duration bound) throws InterruptedException {
    long deadline = System.nanoTime() + bound.toNanos();
    while (!cluster.current().caughtUp() && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
    if (!cluster.current().caughtUp()) {
      LOG.info("starting the groups before the raft log is re-applied (up to index {}); waiting for a leader",
          cluster.current().logEndAtStart());
    }
  }

  /**
   * {@code lm} with this node among its members and voters. Ratis refuses to start a member whose initial group lacks
   * it ("RaftPeerId w is not in RaftGroup"), and a cluster.json written from a state older than this node's join
   * (an earlier version did that after a snapshot install) lacked it. The Raft log, not this list, decides the
   * configuration of a node that has one.
   */
  static LocalMembership withSelf(LocalMembership lm, Member me) {
    boolean member = lm.members().stream().anyMatch(m -> m.name().equals(me.name()));
    if (member && lm.voters().contains(me.name())) {
      return lm;
    }
    LOG.warn("{} does not list this node ({}) among its {}; adding it: the Raft log decides the configuration",
        LocalMembership.FILE, me.name(), member ? "voters" : "members");
    List<Member> members = new ArrayList<>(lm.members());
    if (!member) {
      members.add(me);
    }
    List<String> voters = new ArrayList<>(lm.voters());
    if (!voters.contains(me.name())) {
      voters.add(me.name());
    }
    return new LocalMembership(lm.cluster(), lm.generation(), members, voters);
  }

  private static void checkSameCluster(TandemConfig cfg, LocalMembership lm) {
    if (!lm.cluster().equals(cfg.cluster())) {
      throw new IllegalStateException("tandem.yaml names cluster '" + cfg.cluster() + "' but this node belongs to cluster '"
          + lm.cluster() + "' (" + cfg.node().dataDir().resolve(LocalMembership.FILE) + "); fix `cluster:` in tandem.yaml");
    }
  }

  static Member selfMember(TandemConfig cfg, NodeIdentity id) {
    var n = cfg.node();
    return new Member(n.name().value(), id.id().value(), id.certificatePem(), n.listen().toString(), n.raft().toString(),
        n.api().toString(), n.witness(), System.currentTimeMillis());
  }

  static RaftSettings raftSettings(TandemConfig cfg, NodeIdentity id, PinnedPeers pinned, LocalMembership lm) {
    Path raftDir = cfg.node().dataDir().resolve("raft");
    // -Dtandem.raft.snapshot-every: for tests that need a purged log in seconds rather than hours.
    return new RaftSettings(cfg.node().name().value(), raftDir, lm, cfg.node().raft().host(), cfg.node().raft().port(),
        id.keyManager(), pinned.trustManager("raft"), Duration.ofMillis(300), Duration.ofMillis(600),
        Long.getLong("tandem.raft.snapshot-every", RaftSettings.SNAPSHOT_EVERY));
  }

  private static Set<NodeId> ids(List<Member> members) {
    return members.stream().map(m -> new NodeId(m.nodeId())).collect(Collectors.toSet());
  }

  private void startRest(boolean bootstrap) throws Exception {
    notifier = AlertWiring.start(cfg, self, events, cluster);
    lagAlerts = new LagAlerts(self, cfg.lagAlert(), events);
    lagAlerts.start(() -> dirs.stream().map(ReplicatedDir::status).toList(), this::databaseStatus);
    cluster.addListener((before, cmd, result, after) -> onApplied(before, cmd, result, after));
    var listen = cfg.node().listen();
    fileSync = new FileSyncService(self, new ClusterPeers(self, cluster), events);
    dbFacts = new DatabaseFactsService(self, dbPeers, events);
    transport = TransportServer.start(listen.host(), listen.port(), identity, pinned,
        new ClusterJoinHandler(cluster, () -> cluster.current().groupId().toString(),
            m -> new RefusalEvents(events, self).refused("join-refused", m)), List.of(fileSync.withAliasingParser(), dbFacts));
    watchdog = Watchdog.start(cfg.node().dataDir().resolve("logs/watchdog.log"), (g, summary) ->
        emit(Level.CRITICAL, "fenced", g, "the watchdog stopped " + g + " because the lease deadline passed without a renewal: " + summary));
    awaitReplay(Duration.ofSeconds(3));
    groups = localGroups();
    var f = cfg.failover();
    coordinator = new FailoverCoordinator(self, cluster, new LeaseTiming(f.lease(), f.renewInterval(), f.promoteMargin()),
        groups, Ticker.system(), events, watchdog);
    coordinator.start();
    generations = new Generations(cfg, identity, cluster, this::adoptGeneration,
        m -> new RefusalEvents(events, self).refused("refused-by-peer", m));
    background.scheduleWithFixedDelay(this::housekeeping, 0, 1, TimeUnit.SECONDS);
    String token = ApiToken.readOrCreate(cfg.node().dataDir());
    api = ApiServer.start(cfg.node().api().host(), cfg.node().api().port(), new ApiServer.Wiring(self, cluster, coordinator,
        events, new Actions(this), () -> token, () -> dirs.stream().map(ReplicatedDir::status).toList(),
        this::databaseStatus, cfg.api(), new tandem.api.MetricSources(
            () -> groups.values().stream().map(LocalGroup::health).toList(), failoverHistory,
            () -> backups == null ? List.of() : backups.totals(), notifier::stats)));
    if (cfg.dns().isPresent()) {
      dns = DnsResponder.start(cfg.dns().get(), new ClusterDns(cluster));
    }
    if (bootstrap) {
      background.execute(this::bootstrapCluster);
    }
    backups = new BackupScheduler(cfg, self, this::backupRunsHere, events, java.time.Clock.systemDefaultZone());
    backups.start();
    if (WalPusher.needed(cfg)) {
      walPusher = new WalPusher(cfg, this::emit);
      walPusher.start();
    }
    emit(Level.INFO, "started", "", "agent " + self + " (" + identity.id().shortForm() + ") started; transport " + listen
        + ", raft " + cfg.node().raft() + ", api " + cfg.node().api());
  }

  /**
   * Whether this node takes backup {@code b} now: decided from the cluster state every node shares,
   * for the backup's first group (see {@link BackupScheduler#runsHere}).
   */
  private boolean backupRunsHere(BackupConfig b) {
    ClusterState s = cluster.state();
    String group = b.groups().getFirst();
    GroupState g = s.groups().get(group);
    if (g == null || !g.hasPrimary()) {
      return false;
    }
    List<String> replicas = new ArrayList<>();
    for (Member m : s.members().values()) {
      String mode = g.modeOf(m.name());
      NodeReport r = s.report(m.name(), group);
      if (!m.name().equals(g.primary()) && (mode.equals("active") || mode.equals("passive")) && r != null && r.passing()) {
        replicas.add(m.name());
      }
    }
    return BackupScheduler.runsHere(b.runOn(), self, g.primary(), replicas);
  }

  private void bootstrapCluster() {
    Member me = selfMember(cfg, identity);
    for (int i = 0; i < 100 && !cluster.state().bootstrapped(); i++) {
      try {
        CommandResult r = cluster.submit(new ClusterCommand.Bootstrap(cfg.cluster(), me), Duration.ofSeconds(5)).get();
        emit(Level.WARNING, "bootstrapped", "", r.message() + " as a NEW cluster with this node as its only member;"
            + " other nodes join with `tandem invite` here and `tandem join` there. If this node was meant to join an"
            + " existing cluster, stop it, delete " + cfg.node().dataDir().resolve("raft") + " and "
            + cfg.node().dataDir().resolve(LocalMembership.FILE) + ", then run `tandem join`");
        return;
      } catch (Exception e) {
        LOG.info("waiting for the new cluster to elect this node: {}", e.getMessage());
      }
    }
  }

  private Map<String, LocalGroup> localGroups() throws IOException {
    Map<String, LocalGroup> out = new LinkedHashMap<>();
    if (cfg.node().witness()) {
      return out;
    }
    for (GroupConfig g : cfg.groups().values()) {
      if (g.modeOf(cfg.node().name()) == Mode.OFF) {
        continue;
      }
      out.put(g.name(), localGroup(g));
    }
    return out;
  }

  private LocalGroup localGroup(GroupConfig g) throws IOException {
    List<Resource> resources = new ArrayList<>();
    int filesResources = 0;
    int dbResources = 0;
    ReplicatedDatabase tracked = null;
    long maxLag = 0;
    Duration maxLagTime = Duration.ZERO;
    String lagUnit = null;
    List<CheckConfig> serviceChecks = new ArrayList<>();
    List<CheckConfig> nodeChecks = new ArrayList<>();
    for (var r : g.resources()) {
      if (r instanceof FilesConfig f) {
        ReplicatedDir dir = ReplicatedDir.open(self, g.name(), filesResources++, f, cfg.node().dataDir(),
            new ClusterPeers(self, cluster), this::peerChannel, events, fileSync);
        dirs.add(dir);
        resources.add(new FilesResource(dir));
      }
      if (r instanceof PostgresConfig p) {
        ReplicatedDatabase db = postgres(g.name(), dbResources++, p);
        databases.add(db);
        dbFacts.register(g.name(), dbResources - 1, db);
        if (tracked == null) {
          tracked = db;
          maxLag = p.maxLagOnFailover();
          lagUnit = "bytes of WAL";
        }
        resources.add(new DatabaseResource(db));
      }
      if (r instanceof MariadbConfig m) {
        ReplicatedDatabase db = mariadb(g.name(), dbResources++, m);
        databases.add(db);
        dbFacts.register(g.name(), dbResources - 1, db);
        if (tracked == null) {
          tracked = db;
          // With dumps a replica's lag is the age of its copy (ms), not GTIDs: the newest copy is promoted, whatever its age.
          lagUnit = m.dumps() ? "ms" : "transactions";
          if (!m.dumps()) {
            switch (m.maxLagOnFailover()) {
              case MaxLag.Transactions t -> maxLag = t.count();
              case MaxLag.Behind b -> maxLagTime = b.time();
            }
          }
        }
        resources.add(new DatabaseResource(db));
      }
      if (r instanceof VipConfig v) {
        resources.add(new VipResource(v.address(), v.iface()));
      }
      if (r instanceof ProxyConfig p) {
        // The proxy listens on this node from now until the agent stops, whatever its role; only its gate to the
        // local backend is in the chain (GroupProxy#resource), so it opens after the resources listed before it.
        GroupProxy proxy = new GroupProxy(g.name(), p, cfg.node().listen().host(), new ClusterProxyView(self, cluster),
            GroupProxy.tls(identity.keyManager(), pinned.trustManager("proxy")),
            c -> NodeIdentity.idOf(c).value(), GroupProxy.WAIT_FOR_PRIMARY).start();
        proxies.add(proxy);
        resources.add(proxy.resource());
      }
      if (r instanceof ServiceConfig s) {
        resources.add(new ServiceResource(s.start(), s.stop(), s.timeout()));
        s.check().ifPresent(c -> serviceChecks.add(new CheckConfig("service-check", new CheckTarget.Command(c),
            CheckScope.SERVICE, Duration.ofSeconds(1), Duration.ofSeconds(1), 3, 1, 0, true, Optional.empty(), 0)));
      }
    }
    for (CheckConfig c : g.checks()) {
      (c.on() == CheckScope.NODE ? nodeChecks : serviceChecks).add(c);
    }
    Optional<Hook> promote = g.onPromote().map(c -> new Hook("on-promote", c, g.hookTimeout()));
    Optional<Hook> demote = g.onDemote().map(c -> new Hook("on-demote", c, g.hookTimeout()));
    ReplicatedDatabase queried = tracked;
    java.util.function.Function<CheckConfig, tandem.health.HealthCheck> checkFor = c -> c.target() instanceof CheckTarget.Sql q
        ? new tandem.db.SqlCheck(queried.engine(), q)
        : tandem.health.HealthChecks.of(c.target(), Map.of("TANDEM_NODE", self, "TANDEM_GROUP", g.name()));
    HealthMonitor svc = new HealthMonitor(self, g.name(), serviceChecks, checkFor, Ticker.system(), java.time.InstantSource.system(),
        events, r -> { });
    HealthMonitor node = new HealthMonitor(self, g.name(), nodeChecks, checkFor, Ticker.system(), java.time.InstantSource.system(),
        events, r -> { });
    LocalGroup lg = new LocalGroup(self, g.name(), new ResourceChain(resources), promote, demote, svc, node, watchdog, events);
    if (tracked != null) {
      lg.trackDatabase(tracked::position, lagUnit, maxLag, maxLagTime);
    }
    return lg;
  }

  /** The {@code index}-th database of a group: PostgreSQL, following the group's primary until it is promoted here. */
  private ReplicatedDatabase postgres(String group, int index, PostgresConfig p) throws IOException {
    Path data = cfg.node().dataDir();
    Path bin;
    try {
      bin = PgBin.find(p.bin());
    } catch (DbException e) {
      throw new IOException("group " + group + ": " + e.getMessage(), e);
    }
    String host = cfg.node().listen().host();
    // PostgreSQL gets a key pair of its own: the node's identity key must not be readable by the
    // database's OS user. Replicas pin this certificate, which they receive over the pinned transport.
    Path tls = data.resolve("postgres").resolve("tls");
    NodeIdentity serverTls = Files.exists(tls.resolve("node.crt")) ? NodeIdentity.load(tls)
        : NodeIdentity.create(tls, new tandem.core.NodeName(self), List.of(host));
    PostgresSettings settings = new PostgresSettings(bin, p.data(), p.port(), host, p.user(), self,
        WalPusher.serverParameters(cfg, group, p),
        data.resolve("postgres").resolve(group + "-" + index + ".secrets"), serverTls.certificatePem(),
        Files.readString(tls.resolve("node.key")));
    return new ReplicatedDatabase(self, group, index, new PostgresEngine(settings), dbPeers,
        new UpstreamClient(this::memberChannel), events, data.resolve("postgres").resolve(group + "-" + index + ".role"), host)
        .synchronous(switch (p.synchronous()) {
          case OFF -> 0;
          case ON -> 1;
          case QUORUM_2 -> 2;
        }, p.synchronousFallback().orElse(null))
        .start();
  }

  /**
   * The {@code index}-th database of a group: MariaDB or MySQL, following the group's primary until
   * it is promoted here. A MariaDB replica clones from the primary's backup stream over the agents'
   * transport; a MySQL replica with the clone plugin, straight from the primary's server.
   */
  private ReplicatedDatabase mariadb(String group, int index, MariadbConfig m) throws IOException {
    Path data = cfg.node().dataDir();
    String host = cfg.node().listen().host();
    // A key pair of its own, as for PostgreSQL: the node's identity key stays unreadable to the server's user.
    Path tls = data.resolve(m.kind()).resolve("tls");
    NodeIdentity serverTls = Files.exists(tls.resolve("node.crt")) ? NodeIdentity.load(tls)
        : NodeIdentity.create(tls, new tandem.core.NodeName(self), List.of(host));
    MariadbSettings settings = new MariadbSettings(m.bin().orElse(Path.of("/usr/sbin")), m.data(), m.port(), host, m.user(), self,
        m.databases(), m.parameters(), data.resolve(m.kind()).resolve(group + "-" + index + ".secrets"),
        serverTls.certificatePem(), Files.readString(tls.resolve("node.key")), m.dumps() ? m.dumpInterval() : Duration.ZERO);
    UpstreamClient client = new UpstreamClient(this::memberChannel);
    tandem.db.DatabaseEngine engine = m.mysql() ? new tandem.db.mariadb.MysqlEngine(settings)
        : new MariadbEngine(settings, u -> client.open(group, index, u));
    return new ReplicatedDatabase(self, group, index, engine,
        dbPeers, client, events, data.resolve(m.kind()).resolve(group + "-" + index + ".role"), host)
        .synchronous(m.semiSync() ? 1 : 0, m.semiSyncFallback().orElse(null))
        .start();
  }

  private List<DbStatus> databaseStatus() {
    return databases.stream().map(ReplicatedDatabase::status).toList();
  }

  /** A mutual-TLS channel to a member's transport server by name, pinned to its node ID. */
  private io.grpc.Channel memberChannel(String name) {
    Member m = cluster.state().members().get(name);
    if (m == null) {
      throw new IllegalStateException(name + " is not a member of this cluster");
    }
    tandem.config.HostPort at = tandem.config.HostPort.parse(m.listen());
    return peerClients.computeIfAbsent(name + "@" + at.host() + ":" + at.port(),
        k -> TransportClient.connect(at.host(), at.port(), identity, pinned.trustManager("database facts"))).channelRetryingNow();
  }

  /** A mutual-TLS channel to a peer's transport server, made once per address and kept. */
  private io.grpc.Channel peerChannel(SyncPeers.Peer p) {
    return peerClients.computeIfAbsent(p.name() + "@" + p.host() + ":" + p.port(),
        k -> TransportClient.connect(p.host(), p.port(), identity, pinned.trustManager("file sync"))).channelRetryingNow();
  }

  /** Once a second: keep group definitions, pinned peers and cluster.json in step with the state. */
  private void housekeeping() {
    try {
      ClusterState s = cluster.state();
      if (!s.bootstrapped()) {
        generations.probe();
        return;
      }
      syncMembership(s);
      defineGroups(s);
      generations.noteLeader(cluster.leader() != null);
    } catch (RuntimeException e) {
      LOG.warn("housekeeping failed: {}", e.toString());
    }
  }

  /**
   * Once the start's replay is over, and from then on: pins exactly the state's members (and this node) and records
   * them in cluster.json. Applied commands keep both in step as members change, but a snapshot installed from the
   * leader replaces the state without any command: a witness that joined a cluster whose log was purged kept the
   * members of an older snapshot pinned, without itself, and once it led Raft its own client was refused by its own
   * server, so no failover could commit.
   */
  private void syncMembership(ClusterState s) {
    if (!cluster.current().caughtUp()) {
      return;
    }
    Set<NodeId> ids = new java.util.HashSet<>(ids(List.copyOf(s.members().values())));
    ids.add(identity.id());
    if (!ids.equals(pinned.snapshot())) {
      if (membershipSynced) {
        LOG.info("pinned peers follow the cluster state: {}", s.members().keySet());
      }
      pinned.replace(ids);
    }
    if (!s.members().containsKey(self)) {
      return; // a state from before this node joined (a snapshot being caught up from); removal is handled apart
    }
    try {
      LocalMembership now = LocalMembership.of(s);
      if (!now.equals(membershipWritten)) {
        if (!now.equals(LocalMembership.read(cfg.node().dataDir()))) {
          now.write(cfg.node().dataDir());
        }
        membershipWritten = now;
      }
      membershipSynced = true;
    } catch (IOException e) {
      LOG.warn("cannot update {}: {}", LocalMembership.FILE, e.getMessage());
    }
  }

  private void defineGroups(ClusterState s) {
    if (cfg.node().witness()) {
      return;
    }
    for (GroupConfig g : cfg.groups().values()) {
      String hash = definitionHash(g);
      GroupState have = s.groups().get(g.name());
      boolean mine = have == null || self.equals(have.definedBy()) || !s.members().containsKey(have.definedBy());
      Map<String, String> modes = new LinkedHashMap<>();
      g.nodes().forEach((n, m) -> modes.put(n.value(), m.word()));
      String failback = g.failback().name().toLowerCase(java.util.Locale.ROOT);
      if (have != null && (hash.equals(have.definitionHash()) || !mine)) {
        // The cluster keeps the last node's definition; a file that says otherwise is shown, not applied.
        String diff = DefinitionDiff.between(modes, failback, g.failbackAfter().toMillis(), have);
        if (!diff.equals(have.differing().getOrDefault(self, ""))) {
          cluster.submit(new ClusterCommand.ReportDefinition(g.name(), self, diff, System.currentTimeMillis()),
              Duration.ofSeconds(5));
        }
        continue;
      }
      cluster.submit(new ClusterCommand.DefineGroup(g.name(), modes, failback, g.failbackAfter().toMillis(), self, hash,
          have == null ? "" : have.definitionHash()), Duration.ofSeconds(5));
    }
  }

  static String definitionHash(GroupConfig g) {
    String canon = g.nodes() + "|" + g.failback() + "|" + g.failbackAfter();
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(canon.getBytes(StandardCharsets.UTF_8))).substring(0, 16);
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private void onApplied(ClusterState before, ClusterCommand cmd, CommandResult result, ClusterState after) {
    failoverHistory.applied(before, cmd, after, replayed(cmd));
    if (after.generation() == historyGeneration && after.index() <= historyEnd) {
      // History: cluster.json and the pinned set already hold what this node knew when it stopped;
      // housekeeping matches them to the state once the replay is over.
      ids(List.copyOf(after.members().values())).forEach(pinned::add);
      return;
    }
    if (!before.members().equals(after.members()) || !before.voters().equals(after.voters())) {
      pinned.replace(ids(List.copyOf(after.members().values())));
      try {
        LocalMembership.of(after).write(cfg.node().dataDir());
      } catch (IOException e) {
        LOG.warn("cannot update {}: {}", LocalMembership.FILE, e.getMessage());
      }
    }
    if (!result.ok() || replayed(cmd)) {
      return;
    }
    switch (cmd) {
      case ClusterCommand.Join j -> emit(Level.WARNING, "joined", "", result.message());
      case ClusterCommand.Promote p -> emit(Level.WARNING, "primary-changed", p.group(), result.message());
      case ClusterCommand.Release r -> emit(Level.WARNING, "primary-changed", r.group(), result.message());
      case ClusterCommand.RequestSwitchover r -> emit(Level.WARNING, "switchover", r.group(), result.message());
      case ClusterCommand.SetPaused p -> emit(Level.WARNING, p.paused() ? "paused" : "resumed", p.group(), result.message());
      case ClusterCommand.Reform r -> emit(Level.CRITICAL, "reformed", r.group() == null ? "" : r.group(), result.message());
      case ClusterCommand.RemoveMember r -> removed(r, result);
      case ClusterCommand.ReportDefinition r -> {
        GroupState was = before.groups().get(r.group());
        if (was != null && !r.differences().equals(was.differing().getOrDefault(r.node(), ""))) {
          emit(r.differences().isEmpty() ? Level.INFO : Level.WARNING, "definition-differs", r.group(), result.message());
        }
      }
      default -> { }
    }
  }

  private void removed(ClusterCommand.RemoveMember r, CommandResult result) {
    emit(Level.WARNING, "member-removed", "", result.message());
    if (r.node().equals(self) && !r.by().equals(self)) {
      // Removed by another member (remove-node --force): the others refuse this node's certificate from now on.
      emit(Level.CRITICAL, "removed", "", "this node was removed from the cluster by " + r.by() + "; it stops its groups;"
          + " to bring it back: stop it, move " + cfg.node().dataDir().resolve("raft") + " and "
          + cfg.node().dataDir().resolve(LocalMembership.FILE) + " away, then `tandem join` with a new invite");
      groups.values().forEach(g -> g.demote("this node was removed from the cluster", Level.CRITICAL, () -> { }));
    }
  }

  /** True for a command from before this agent started: the log replayed at start is history, not news. */
  private boolean replayed(ClusterCommand cmd) {
    long at = switch (cmd) {
      case ClusterCommand.Promote p -> p.atMillis();
      case ClusterCommand.Release r -> r.atMillis();
      case ClusterCommand.RequestSwitchover r -> r.atMillis();
      case ClusterCommand.Reform r -> r.atMillis();
      case ClusterCommand.Join j -> j.nowMillis();
      case ClusterCommand.ReportDefinition r -> r.atMillis();
      default -> Long.MAX_VALUE;
    };
    return at < startedAtMillis - 1000;
  }

  /** A forced failover elsewhere made a newer generation that still counts this node as a member. */
  private void adoptGeneration(LocalMembership newer) {
    try {
      emit(Level.CRITICAL, "generation-changed", "", "the cluster was re-formed by a forced failover (generation "
          + newer.generation() + "); stopping this node's groups and rejoining as a replica");
      groups.values().forEach(g -> g.demote("cluster re-formed without this node", Level.CRITICAL, () -> { }));
      RaftCluster old = cluster.current();
      old.close();
      Path raftDir = cfg.node().dataDir().resolve("raft");
      if (Files.exists(raftDir)) {
        Files.move(raftDir, cfg.node().dataDir().resolve("raft-generation-" + cluster.state().generation() + "-" + Instant.now().toEpochMilli()));
      }
      newer.write(cfg.node().dataDir());
      pinned.replace(ids(newer.members()));
      cluster.replace(RaftCluster.start(raftSettings(cfg, identity, pinned, newer)));
    } catch (IOException e) {
      emit(Level.CRITICAL, "generation-change-failed", "", "could not move to generation " + newer.generation() + ": " + e.getMessage());
    }
  }

  /** Forced failover without quorum: this node alone becomes the voting set of a new generation. */
  synchronized CommandResult reform(String group, String to) throws Exception {
    if (!self.equals(to)) {
      return CommandResult.refused("without a quorum, a forced failover must run on the node that takes over: run it on " + to);
    }
    ClusterState old = cluster.state();
    long gen = old.generation() + 1;
    LocalMembership lm = new LocalMembership(old.cluster(), gen, List.copyOf(old.members().values()), List.of(self));
    RaftCluster prev = cluster.current();
    prev.close();
    Path raftDir = cfg.node().dataDir().resolve("raft");
    Files.move(raftDir, cfg.node().dataDir().resolve("raft-generation-" + old.generation() + "-" + Instant.now().toEpochMilli()));
    lm.write(cfg.node().dataDir());
    cluster.replace(RaftCluster.start(raftSettings(cfg, identity, pinned, lm)));
    String why = "forced failover by the operator on " + self + " (the cluster had no quorum)";
    CommandResult r = null;
    for (int i = 0; i < 50 && r == null; i++) {
      try {
        r = cluster.submit(new ClusterCommand.Reform(old, gen, List.of(self), group, to, why, System.currentTimeMillis()),
            Duration.ofSeconds(2)).get();
      } catch (Exception e) {
        LOG.info("waiting for the new generation to elect this node: {}", e.getMessage());
      }
    }
    return r == null ? CommandResult.refused("the new generation did not start; see the log") : r;
  }

  NodeIdentity identity() {
    return identity;
  }

  ClusterHandle cluster() {
    return cluster;
  }

  /** The backup scheduler, once the agent has started it; null before. */
  BackupScheduler backups() {
    return backups;
  }

  String self() {
    return self;
  }

  Departures departures() {
    return departures;
  }

  /** What to do once this node has left the cluster (`tandem run` exits); runs on a thread of its own. */
  public void whenLeft(Runnable r) {
    whenLeft = r;
  }

  /** This node is out of the cluster: stop the agent, and at close move its cluster files aside for a later join. */
  void leftCluster() {
    left = true;
    emit(Level.WARNING, "left", "", self + " left the cluster; the agent stops");
    Thread.ofPlatform().name("leave").start(() -> {
      try {
        Thread.sleep(500); // the API answers the `tandem leave` that asked first
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      whenLeft.run();
    });
  }

  /** This node's local group, or null. */
  LocalGroup localGroup(String name) {
    return groups.get(name);
  }

  void emit(Level level, String kind, String group, String message) {
    events.emit(new Event(Instant.now(), level, kind, self, group, message));
  }

  /**
   * Stops the agent: hands its groups over (stop resources, release the lease so another node
   * takes over at once, not after a lease), then stops every part in reverse order.
   */
  @Override
  public void close() throws Exception {
    if (api != null) {
      api.close();
    }
    if (dns != null) {
      dns.close();
    }
    background.shutdownNow();
    if (backups != null) {
      backups.close();
    }
    if (walPusher != null) {
      walPusher.close();
    }
    if (coordinator != null) {
      coordinator.close();
    }
    releaseGroups();
    for (LocalGroup g : groups.values()) {
      g.close();
    }
    proxies.forEach(GroupProxy::close);
    dirs.forEach(ReplicatedDir::close);
    databases.forEach(ReplicatedDatabase::close);
    peerClients.values().forEach(TransportClient::close);
    if (watchdog != null) {
      watchdog.close();
    }
    if (transport != null) {
      transport.close();
    }
    cluster.current().close();
    if (left) {
      Departures.keepAsideForRejoin(cfg.node().dataDir());
    }
    if (lagAlerts != null) {
      lagAlerts.close();
    }
    if (notifier != null) {
      notifier.close();
    }
    events.close();
  }

  private void releaseGroups() throws InterruptedException {
    ClusterState s = cluster.state();
    for (LocalGroup g : groups.values()) {
      GroupState gs = s.groups().get(g.name());
      var done = new java.util.concurrent.CountDownLatch(1);
      g.demote("agent shutting down", Level.WARNING, done::countDown);
      done.await(5, TimeUnit.MINUTES);
      if (gs != null && self.equals(gs.primary())) {
        try {
          cluster.submit(new ClusterCommand.Release(g.name(), self, gs.epoch(), System.currentTimeMillis()), Duration.ofSeconds(3)).get();
        } catch (Exception e) {
          LOG.warn("could not release {} on shutdown ({}); another node takes over when the lease runs out", g.name(), e.getMessage());
        }
      }
    }
  }
}
