package tandem.cluster;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tandem.core.NodeId;
import tandem.transport.JoinHandler;
import tandem.transport.NodeIdentity;
import tandem.transport.proto.HelloReply;
import tandem.transport.proto.HelloRequest;
import tandem.transport.proto.JoinReply;
import tandem.transport.proto.JoinRequest;

/**
 * Admits new nodes on the transport port: checks that the caller's certificate is the one it
 * claims, then asks the cluster (through Raft) to accept its token. Also answers Hello, which a
 * node uses at start to learn whether the others know it, and under which generation.
 */
public final class ClusterJoinHandler implements JoinHandler {
  private static final Logger LOG = LoggerFactory.getLogger(ClusterJoinHandler.class);
  private static final Duration TIMEOUT = Duration.ofSeconds(10);

  private final Cluster cluster;
  private final Supplier<String> raftGroupId;
  private final java.util.function.Consumer<String> refusals;

  /** {@code refusals} hears each refused join or hello, with its reason (the agent makes events of them). */
  public ClusterJoinHandler(Cluster cluster, Supplier<String> raftGroupId, java.util.function.Consumer<String> refusals) {
    this.cluster = cluster;
    this.raftGroupId = raftGroupId;
    this.refusals = refusals;
  }

  @Override
  public JoinReply join(JoinRequest request, NodeId caller) {
    var me = request.getMe();
    if (!caller.value().equals(me.getNodeId())) {
      return refuse("your TLS certificate is " + caller.shortForm() + " but the request names " + me.getNodeId()
          + "; the join request must come from the node that joins");
    }
    try {
      if (!NodeIdentity.idOf(NodeIdentity.parseCertificatePem(me.getCertificatePem())).equals(caller)) {
        return refuse("the certificate in the request is not the one used for TLS");
      }
    } catch (RuntimeException e) {
      return refuse("the certificate in the request cannot be read: " + e.getMessage());
    }
    Member m = new Member(me.getName(), me.getNodeId(), me.getCertificatePem(), me.getListen(), me.getRaft(),
        me.getApi(), me.getWitness(), System.currentTimeMillis());
    ClusterCommand.Join cmd = new ClusterCommand.Join(sha256(request.getTokenSecret()), m, System.currentTimeMillis());
    try {
      CommandResult r = submitThroughLeaderChange(cmd);
      if (!r.ok()) {
        LOG.warn("refused join of {} ({}): {}", m.name(), caller.shortForm(), r.message());
        refusals.accept("refused the join of " + m.name() + " (" + caller.shortForm() + "): " + r.message());
        return refuse(r.message());
      }
      LOG.info("{} ({}) joined the cluster", m.name(), caller.shortForm());
      return accepted(r.message(), m);
    } catch (Exception e) {
      return refuse("the cluster could not decide on the join (" + e.getMessage() + "); is a majority of its nodes running?");
    }
  }

  private JoinReply accepted(String message, Member joined) {
    ClusterState s = cluster.state();
    Map<String, Member> members = new LinkedHashMap<>(s.members());
    members.put(joined.name(), joined);
    var voters = new java.util.ArrayList<>(s.voters());
    if (!voters.contains(joined.name())) {
      voters.add(joined.name());
    }
    var b = JoinReply.newBuilder().setAccepted(true).setMessage(message).setCluster(s.cluster())
        .setRaftGroupId(raftGroupId.get()).setGeneration(s.generation()).addAllVoters(voters);
    members.values().forEach(x -> b.addMembers(proto(x)));
    return b.build();
  }

  static tandem.transport.proto.Member proto(Member m) {
    return tandem.transport.proto.Member.newBuilder().setName(m.name()).setNodeId(m.nodeId())
        .setCertificatePem(m.certificatePem()).setListen(m.listen()).setRaft(m.raft()).setApi(m.api())
        .setWitness(m.witness()).build();
  }

  /** Converts a member received from a peer. */
  public static Member member(tandem.transport.proto.Member p) {
    return new Member(p.getName(), p.getNodeId(), p.getCertificatePem(), p.getListen(), p.getRaft(), p.getApi(),
        p.getWitness(), 0);
  }

  @Override
  public HelloReply hello(HelloRequest request, NodeId caller) {
    ClusterState s = cluster.state();
    boolean member = s.members().values().stream().anyMatch(m -> m.nodeId().equals(caller.value()));
    var b = HelloReply.newBuilder().setMember(member).setCluster(s.cluster()).setGeneration(s.generation())
        .addAllVoters(s.voters());
    if (member) {
      s.members().values().forEach(m -> b.addMembers(proto(m)));
      String name = s.members().values().stream().filter(m -> m.nodeId().equals(caller.value()))
          .map(Member::name).findFirst().orElseThrow();
      if (request.getGeneration() < s.generation() && !s.voters().contains(name)) {
        // Left out by a forced failover and back now: it votes again once it runs the new generation.
        cluster.submit(new ClusterCommand.AddVoter(name), TIMEOUT);
      }
      return b.setMessage("welcome back").build();
    }
    Member named = s.members().get(request.getName());
    String why = named == null
        ? "certificate " + caller.shortForm() + " is not a member of cluster " + s.cluster()
        : "node " + request.getName() + " is a member of cluster " + s.cluster() + " with certificate "
            + new NodeId(named.nodeId()).shortForm() + ", but you presented " + caller.shortForm()
            + " (was it re-initialised?)";
    LOG.warn("refused hello from {}: {}", caller.shortForm(), why);
    refusals.accept("refused a node that says it is " + request.getName() + ": " + why);
    return b.setMessage(why + "; remove the old member and join again with a token from `tandem invite`").build();
  }

  private static JoinReply refuse(String message) {
    return JoinReply.newBuilder().setAccepted(false).setMessage(message).build();
  }

  /** Hex SHA-256, as {@code JoinToken.secretHash()}. */
  static String sha256(String s) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * Submits the join, again while the Raft lead is moving: a leader that steps down (a hand-off to
   * the witness) or is not ready yet refuses a command before appending it, so sending it again to
   * the next leader cannot apply it twice. Other failures are returned as they are.
   */
  private CommandResult submitThroughLeaderChange(ClusterCommand.Join cmd) throws Exception {
    long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(10);
    while (true) {
      try {
        return cluster.submit(cmd, TIMEOUT).get();
      } catch (java.util.concurrent.ExecutionException e) {
        if (!leaderChanging(e) || System.nanoTime() > deadline) {
          throw e;
        }
        LOG.info("join of {} waits for the Raft lead to settle: {}", cmd.member().name(), e.getCause());
        Thread.sleep(200);
      }
    }
  }

  private static boolean leaderChanging(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      String n = t.getClass().getSimpleName();
      if (n.equals("LeaderSteppingDownException") || n.equals("LeaderNotReadyException") || n.equals("NotLeaderException")) {
        return true;
      }
    }
    return false;
  }
}
