package tandem.cluster.raft;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Collectors;
import org.apache.ratis.client.RaftClient;
import org.apache.ratis.client.RaftClientConfigKeys;
import org.apache.ratis.conf.Parameters;
import org.apache.ratis.conf.RaftProperties;
import org.apache.ratis.grpc.GrpcConfigKeys;
import org.apache.ratis.grpc.GrpcTlsConfig;
import org.apache.ratis.proto.RaftProtos;
import org.apache.ratis.protocol.ClientId;
import org.apache.ratis.protocol.LeaderElectionManagementRequest;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.RaftGroup;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.retry.RetryPolicies;
import org.apache.ratis.server.DivisionInfo;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.RaftServerConfigKeys;
import org.apache.ratis.server.protocol.TermIndex;
import org.apache.ratis.server.storage.RaftStorage;
import org.apache.ratis.util.SizeInBytes;
import org.apache.ratis.util.TimeDuration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tandem.cluster.Cluster;
import tandem.cluster.ClusterCodec;
import tandem.cluster.ClusterCommand;
import tandem.cluster.ClusterListener;
import tandem.cluster.ClusterState;
import tandem.cluster.CommandResult;
import tandem.cluster.LocalMembership;
import tandem.cluster.Member;

/**
 * This node's member of the cluster's Raft group, run by Apache Ratis over gRPC with mutual TLS
 * pinned to the members' certificates. It is the only class that talks to Ratis.
 *
 * <p>Membership: the agreed state lists the voters; on the leader a reconcile loop makes Ratis'
 * configuration follow it (a joined node is added once it runs). A voters list changed by a
 * forced failover starts a new Raft group (a new generation), so a node left out cannot form a
 * majority in the old one.
 */
public final class RaftCluster implements Cluster, AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(RaftCluster.class);

  private static final java.util.concurrent.ExecutorService SENDERS = Executors.newVirtualThreadPerTaskExecutor();

  private final RaftSettings settings;
  private final RaftProperties props;
  private final Parameters params;
  private final Map<String, RaftClient> clients = new java.util.concurrent.ConcurrentHashMap<>();
  private volatile RaftClient adminClient;
  private final RaftGroup group;
  private final RaftServer server;
  private final RaftClient client;
  private final TandemStateMachine machine;
  private final ScheduledExecutorService reconciler = Executors.newSingleThreadScheduledExecutor(r -> {
    Thread t = new Thread(r, "raft-reconcile");
    t.setDaemon(true);
    return t;
  });
  private final AtomicBoolean reconfiguring = new AtomicBoolean();
  /** The client id and call ids of the commands this node hands straight to its own server while it leads. */
  private final ClientId localClient = ClientId.randomId();
  private final java.util.concurrent.atomic.AtomicLong localCalls = new java.util.concurrent.atomic.AtomicLong();
  /** The index of the last entry in this node's own log when it started (-1: none). */
  private volatile long logEndAtStart = -1;
  /** A node that joined keeps its elections paused (see start) until it votes in a committed configuration. */
  private volatile boolean electionsPaused;
  /*
   * No automatic hand-off of the lead: handing it to the witness (the better-placed leader) stalled
   * every primary's renewals until the target won its election, and on a loaded box a witness that
   * opened its first connections to the voters during that election lost several in a row (term
   * 2 -> 5) while a healthy primary fenced itself 1.5 s after its last renewal. The lead now moves
   * only when the leader stops (handOffLeadership) or dies; a follower elected leader counts each
   * primary's silence from the renewal it applied as a follower, so a node that dies with both the
   * lead and a primary role costs no more than a primary alone (FailoverCoordinator).
   */

  private RaftCluster(RaftSettings settings, RaftGroup group, RaftServer server, RaftClient client, TandemStateMachine m,
      RaftProperties props, Parameters params) {
    this.settings = settings;
    this.props = props;
    this.params = params;
    this.group = group;
    this.server = server;
    this.client = client;
    this.machine = m;
  }

  /** The Raft group ID of a cluster generation: the same on every node, derived from the name. */
  public static RaftGroupId groupId(String cluster, long generation) {
    return RaftGroupId.valueOf(UUID.nameUUIDFromBytes(("tandem:" + cluster + ":" + generation).getBytes(StandardCharsets.UTF_8)));
  }

  /** Starts the Raft member; returns once the server runs (not necessarily with a leader). */
  public static RaftCluster start(RaftSettings s) throws IOException {
    LocalMembership lm = s.membership();
    RaftGroupId gid = groupId(lm.cluster(), lm.generation());
    boolean exists = Files.isDirectory(s.storageDir().resolve(gid.getUuid().toString()));
    RaftGroup group = RaftGroup.valueOf(gid, peers(lm.members(), lm.voters()));
    RaftProperties props = properties(s);
    // A node that joined must not ask for votes before the leader has added it: the leader, whose
    // configuration does not have it yet, would answer with an order to shut down. It starts with
    // its elections paused, and the reconcile loop resumes them once it votes in a committed
    // configuration (resumeElectionsOnceAdded). This replaced a 20-25 s first-election timeout:
    // Ratis ends that at the first contact with the leader, but a follower thread started at that
    // moment could still read the long timeout and sleep it out, so a leader killed within 25 s of
    // a join was replaced only 10-15 s later (failover and MariaDB benches, 2026-12-06).
    boolean joined = !exists && !lm.voters().equals(List.of(s.self()));
    Parameters params = tls(s);
    TandemStateMachine[] holder = new TandemStateMachine[1];
    RaftCluster[] self = new RaftCluster[1];
    TandemStateMachine m = new TandemStateMachine(() -> {
      if (self[0] != null) {
        self[0].reconcileSoon();
      }
    });
    holder[0] = m;
    RaftServer server = RaftServer.newBuilder()
        .setServerId(RaftPeerId.valueOf(s.self()))
        .setGroup(group)
        .setStateMachine(m)
        .setProperties(props)
        .setParameters(params)
        .setOption(exists ? RaftStorage.StartupOption.RECOVER : RaftStorage.StartupOption.FORMAT)
        .build();
    server.start();
    if (joined) {
      server.leaderElectionManagement(LeaderElectionManagementRequest.newPause(ClientId.randomId(),
          RaftPeerId.valueOf(s.self()), gid, 0));
    }
    RaftClient client = newClient(group, props, params, null);
    RaftCluster rc = new RaftCluster(s, group, server, client, m, props, params);
    rc.logEndAtStart = server.getDivision(gid).getRaftLog().getLastEntryTermIndex() == null
        ? -1 : server.getDivision(gid).getRaftLog().getLastEntryTermIndex().getIndex();
    // Membership changes are retried by the reconcile loop, once a second; Ratis' own retries of a
    // change that waits for a new node to run would log a stack trace every few milliseconds.
    rc.adminClient = RaftClient.newBuilder().setRaftGroup(group).setProperties(props).setParameters(params)
        .setLeaderId(RaftPeerId.valueOf(s.self())).setRetryPolicy(RetryPolicies.noRetry()).build();
    rc.electionsPaused = joined;
    self[0] = rc;
    rc.reconciler.scheduleWithFixedDelay(rc::reconcile, 1, 1, TimeUnit.SECONDS);
    return rc;
  }

  private static RaftClient newClient(RaftGroup group, RaftProperties props, Parameters params, RaftPeerId leader) {
    var b = RaftClient.newBuilder()
        .setRaftGroup(group)
        .setProperties(props)
        .setParameters(params)
        .setRetryPolicy(RetryPolicies.retryUpToMaximumCountWithFixedSleep(30, TimeDuration.valueOf(30, TimeUnit.MILLISECONDS)));
    if (leader != null) {
      b.setLeaderId(leader);
    }
    return b.build();
  }

  /**
   * A client that starts at the leader this server knows. A Ratis client keeps its own guess of
   * the leader and, when that peer hangs (SIGSTOP) rather than dies, waits a request timeout per
   * try; asking the current leader first saves those seconds in a failover.
   */
  private RaftClient clientFor() {
    String leader = leader();
    if (leader == null) {
      return client;
    }
    try {
      // The peers of the current configuration: the group this node started with may predate
      // the leader's own membership.
      var peers = server.getDivision(group.getGroupId()).getRaftConf().getCurrentPeers();
      String key = leader + "@" + peers.stream().map(p -> p.getId() + "=" + p.getAddress()).sorted().toList();
      return clients.computeIfAbsent(key, k ->
          newClient(RaftGroup.valueOf(group.getGroupId(), peers), props, params, RaftPeerId.valueOf(leader)));
    } catch (IOException e) {
      return client;
    }
  }

  private static List<RaftPeer> peers(List<Member> members, List<String> voters) {
    Set<String> v = Set.copyOf(voters);
    return members.stream().filter(m -> v.contains(m.name())).map(RaftCluster::peer).toList();
  }

  private static RaftPeer peer(Member m) {
    // Equal priorities: where the leader should be is decided by preferLeader(), not by Ratis.
    return RaftPeer.newBuilder().setId(m.name()).setAddress(m.raft()).build();
  }

  private static RaftProperties properties(RaftSettings s) {
    RaftProperties p = new RaftProperties();
    RaftServerConfigKeys.setStorageDir(p, List.of(s.storageDir().toFile()));
    GrpcConfigKeys.Server.setHost(p, s.bindHost());
    GrpcConfigKeys.Server.setPort(p, s.bindPort());
    RaftServerConfigKeys.Rpc.setTimeoutMin(p, td(s.electionTimeoutMin()));
    RaftServerConfigKeys.Rpc.setTimeoutMax(p, td(s.electionTimeoutMax()));
    RaftServerConfigKeys.Rpc.setRequestTimeout(p, TimeDuration.valueOf(1, TimeUnit.SECONDS));
    RaftClientConfigKeys.Rpc.setRequestTimeout(p, TimeDuration.valueOf(1, TimeUnit.SECONDS));
    // Lease renewals are written to the log; snapshots keep it short.
    RaftServerConfigKeys.Snapshot.setAutoTriggerEnabled(p, true);
    RaftServerConfigKeys.Snapshot.setAutoTriggerThreshold(p, s.snapshotEvery());
    RaftServerConfigKeys.Snapshot.setRetentionFileNum(p, 2);
    RaftServerConfigKeys.Log.setPurgeUptoSnapshotIndex(p, true);
    RaftServerConfigKeys.Log.setPurgeGap(p, (int) Math.min(1024, s.snapshotEvery()));
    // Only closed segments are purged: with a small snapshot interval (tests) the segments are small too, so that the
    // log is purged soon after a snapshot, as it is after hours of renewals with the defaults.
    RaftServerConfigKeys.Log.setSegmentSizeMax(p, SizeInBytes.valueOf(s.snapshotEvery() < RaftSettings.SNAPSHOT_EVERY ? "8KB" : "4MB"));
    return p;
  }

  private static TimeDuration td(Duration d) {
    return TimeDuration.valueOf(d.toMillis(), TimeUnit.MILLISECONDS);
  }

  private static Parameters tls(RaftSettings s) {
    GrpcTlsConfig conf = new GrpcTlsConfig(s.keyManager(), s.trustManager(), true);
    Parameters params = new Parameters();
    GrpcConfigKeys.Server.setTlsConf(params, conf);
    GrpcConfigKeys.Client.setTlsConf(params, conf);
    GrpcConfigKeys.Admin.setTlsConf(params, conf);
    return params;
  }

  /**
   * The index of the last entry this node's log held when it started: the entries up to it are
   * replayed into the state machine after a restart, and describe the past, not the present.
   */
  public long logEndAtStart() {
    return logEndAtStart;
  }

  /**
   * Whether the state machine has applied everything this node's log held at start, so that
   * {@link #state()} is no older than what this node knew before it stopped.
   */
  public boolean caughtUp() {
    TermIndex applied = machine.getLastAppliedTermIndex();
    return applied != null && applied.getIndex() >= logEndAtStart;
  }

  @Override
  public ClusterState state() {
    return machine.state();
  }

  @Override
  public CompletableFuture<CommandResult> submit(ClusterCommand command, Duration timeout) {
    Message msg = Message.valueOf(org.apache.ratis.thirdparty.com.google.protobuf.ByteString.copyFrom(ClusterCodec.encode(command)));
    CompletableFuture<RaftClientReply> reply = local(command) && isLeaderReady()
        ? submitHere(msg).thenCompose(r -> r.isSuccess() ? CompletableFuture.completedFuture(r) : viaClient(msg))
            .exceptionallyCompose(e -> viaClient(msg))
        : viaClient(msg);
    return reply.thenApply(RaftCluster::result).orTimeout(timeout.toMillis(), TimeUnit.MILLISECONDS);
  }

  /**
   * Commands this node hands straight to its own Raft server while it leads, instead of sending them
   * through a Ratis client over gRPC and TLS to itself: a primary's lease renewals (2.5 a second per
   * group) and its health reports, which are most of an idle cluster's writes. Only these two: when the
   * leader steps down between the append and the commit, the outcome is unknown and the command is
   * sent again through the client, so it must be harmless twice (a renewal is; a second report
   * repeats the first), which a join with a one-time token, for one, is not.
   */
  private static boolean local(ClusterCommand command) {
    return command instanceof ClusterCommand.Renew || command instanceof ClusterCommand.Report;
  }

  /** How many commands went straight to this node's own server (tests). */
  long localSubmissions() {
    return localCalls.get();
  }

  private CompletableFuture<RaftClientReply> submitHere(Message msg) {
    try {
      return server.submitClientRequestAsync(org.apache.ratis.protocol.RaftClientRequest.newBuilder()
          .setClientId(localClient)
          .setServerId(server.getId())
          .setGroupId(group.getGroupId())
          .setCallId(localCalls.incrementAndGet())
          .setMessage(msg)
          .setType(org.apache.ratis.protocol.RaftClientRequest.writeRequestType())
          .build());
    } catch (IOException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  private CompletableFuture<RaftClientReply> viaClient(Message msg) {
    // The blocking API on a virtual thread, not the async one: Ratis' ordered async client closes
    // for good after one request runs out of retries, and a node without quorum must keep trying.
    return CompletableFuture.supplyAsync(() -> {
      try {
        return clientFor().io().send(msg);
      } catch (IOException e) {
        throw new java.util.concurrent.CompletionException(e);
      }
    }, SENDERS);
  }

  private static CommandResult result(RaftClientReply reply) {
    if (!reply.isSuccess()) {
      throw new IllegalStateException("consensus refused the command: " + reply.getException());
    }
    try {
      return ClusterCodec.decode(reply.getMessage().getContent().toByteArray(), CommandResult.class);
    } catch (IOException e) {
      throw new IllegalStateException("unreadable reply: " + e.getMessage(), e);
    }
  }

  private DivisionInfo info() throws IOException {
    return server.getDivision(group.getGroupId()).getInfo();
  }

  @Override
  public boolean isLeaderReady() {
    try {
      DivisionInfo i = info();
      return i.isLeader() && i.isLeaderReady();
    } catch (IOException e) {
      return false;
    }
  }

  @Override
  public String leader() {
    try {
      RaftPeerId id = info().getLeaderId();
      return id == null ? null : id.toString();
    } catch (IOException e) {
      return null;
    }
  }

  @Override
  public Map<String, Duration> peerSilence() {
    try {
      RaftProtos.RoleInfoProto role = info().getRoleInfoProto();
      if (!role.hasLeaderInfo()) {
        return Map.of();
      }
      Map<String, Duration> out = new HashMap<>();
      for (RaftProtos.ServerRpcProto f : role.getLeaderInfo().getFollowerInfoList()) {
        out.put(f.getId().getId().toStringUtf8(), Duration.ofMillis(f.getLastRpcElapsedTimeMs()));
      }
      return out;
    } catch (IOException e) {
      return Map.of();
    }
  }

  @Override
  public void addListener(ClusterListener listener) {
    machine.addListener(listener);
  }

  /** The Raft group this node serves. */
  public RaftGroupId groupId() {
    return group.getGroupId();
  }

  private void reconcileSoon() {
    reconciler.execute(this::reconcile);
  }

  /** On the leader, makes Ratis' voting configuration equal to the agreed voters. */
  private void reconcile() {
    try {
      if (electionsPaused) {
        resumeElectionsOnceAdded();
      }
      if (!isLeaderReady() || reconfiguring.get()) {
        return;
      }
      ClusterState s = state();
      if (!s.bootstrapped() || s.generation() != settings.membership().generation()) {
        return;
      }
      Set<String> want = Set.copyOf(s.voters());
      Set<String> have = server.getDivision(group.getGroupId()).getRaftConf().getCurrentPeers().stream()
          .map(p -> p.getId().toString()).collect(Collectors.toSet());
      if (want.equals(have)) {
        return;
      }
      // One voter at a time: Ratis refuses a change that replaces a majority of the current
      // configuration (e.g. [n1] to [n1, n2, n3] when two nodes joined before either ran).
      List<String> next = new java.util.ArrayList<>(s.voters().stream().filter(have::contains).toList());
      s.voters().stream().filter(v -> !have.contains(v)).findFirst().ifPresent(next::add);
      if (next.size() == have.size() && next.containsAll(have)) {
        next = s.voters(); // only removals left
      }
      List<RaftPeer> peers = next.stream().map(s.members()::get).filter(Objects::nonNull).map(RaftCluster::peer).toList();
      reconfiguring.set(true);
      Thread.ofVirtual().start(() -> setConfiguration(peers, have));
    } catch (IOException | RuntimeException e) {
      LOG.warn("membership reconcile failed: {}", e.toString());
    }
  }

  /**
   * Once this node votes in a configuration that is committed here (not a joint one), every voter knows it and would
   * grant it a vote rather than order it to shut down: its elections may run from now on.
   */
  private void resumeElectionsOnceAdded() throws IOException {
    RaftServer.Division d = server.getDivision(group.getGroupId());
    var conf = d.getRaftConf();
    boolean votes = conf.getCurrentPeers().stream().anyMatch(p -> p.getId().toString().equals(settings.self()));
    // The configuration this node started with (from its LocalMembership) has no log index; one a leader wrote has.
    if (!votes || conf.getLogEntryIndex() < 0 || !conf.getPreviousPeers().isEmpty()
        || d.getInfo().getLastAppliedIndex() < conf.getLogEntryIndex()) {
      return;
    }
    RaftClientReply r = server.leaderElectionManagement(LeaderElectionManagementRequest.newResume(ClientId.randomId(),
        RaftPeerId.valueOf(settings.self()), group.getGroupId(), 0));
    if (r.isSuccess()) {
      electionsPaused = false;
      LOG.info("this node votes in the committed raft configuration; its elections are resumed");
    }
  }

  /** Whether this node's Raft server runs (Ratis closes it when a leader orders it to shut down). */
  public boolean running() {
    try {
      return info().isAlive();
    } catch (IOException e) {
      return false;
    }
  }

  /** Whether this node, having joined, still keeps its elections paused until it votes (see start). */
  public boolean electionsPausedUntilAdded() {
    return electionsPaused;
  }

  /** True while Ratis' current configuration (as this node knows it) has {@code node} as a voter. */
  public boolean votesInRaft(String node) {
    try {
      return server.getDivision(group.getGroupId()).getRaftConf().getCurrentPeers().stream()
          .anyMatch(p -> p.getId().toString().equals(node));
    } catch (IOException e) {
      return false;
    }
  }

  /** On the leader, hands the lead to the best-placed live voter (before this node leaves or stops). */
  public void handOffLeadership() {
    if (!isLeaderReady()) {
      return;
    }
    peerSilence().entrySet().stream()
        .filter(e -> e.getValue().toMillis() < 300 && state().voters().contains(e.getKey()))
        .max(java.util.Comparator.comparingInt(e -> leaderScore(state(), e.getKey())))
        .ifPresent(e -> {
          try {
            adminClient.admin().transferLeadership(RaftPeerId.valueOf(e.getKey()), 1000);
            LOG.info("raft leadership handed to {} before stopping", e.getKey());
          } catch (IOException | RuntimeException ex) {
            LOG.info("could not hand the raft leadership to {} before stopping: {}", e.getKey(), ex.getMessage());
          }
        });
  }

  private static int leaderScore(ClusterState s, String node) {
    Member m = s.members().get(node);
    if (m == null) {
      return -1;
    }
    if (m.witness()) {
      return 2;
    }
    return s.groups().values().stream().anyMatch(g -> node.equals(g.primary())) ? 0 : 1;
  }

  private void setConfiguration(List<RaftPeer> peers, Set<String> had) {
    try {
      RaftClientReply r = adminClient.admin().setConfiguration(peers);
      if (r.isSuccess()) {
        LOG.info("raft voters changed from {} to {}", had, peers.stream().map(p -> p.getId().toString()).toList());
      } else {
        LOG.info("raft voters not changed yet ({}); will retry", r.getException() == null ? "?" : r.getException().getMessage());
      }
    } catch (IOException | RuntimeException e) {
      LOG.info("raft voters not changed yet ({}); will retry", e.getMessage());
    } finally {
      reconfiguring.set(false);
    }
  }

  /**
   * Stops this Raft member. A leader first hands the lead to a live voter: without that, the
   * others wait an election timeout, and the primaries' renewals stall meanwhile.
   */
  @Override
  public void close() throws IOException {
    reconciler.shutdownNow();
    handOffLeadership();
    for (RaftClient c : clients.values()) {
      c.close();
    }
    adminClient.close();
    try {
      client.close();
    } finally {
      server.close();
    }
  }
}
