package tandem.agent;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tandem.cluster.ClusterJoinHandler;
import tandem.cluster.ClusterState;
import tandem.cluster.LocalMembership;
import tandem.cluster.Member;
import tandem.config.HostPort;
import tandem.config.TandemConfig;
import tandem.core.NodeId;
import tandem.transport.NodeIdentity;
import tandem.transport.PinnedPeers;
import tandem.transport.TransportClient;
import tandem.transport.proto.HelloReply;
import tandem.transport.proto.HelloRequest;

/**
 * Notices when this node is out of step with its peers: when no leader is known for a while it
 * says hello to every member over the transport. A peer that no longer knows this node's
 * certificate says so (and that becomes an event here too, so the refusal is clear on both
 * sides); a peer in a newer generation (a forced failover happened while this node was away)
 * hands over the new membership, which this node adopts.
 */
final class Generations {
  private static final Logger LOG = LoggerFactory.getLogger(Generations.class);
  private static final long PROBE_EVERY_NANOS = 3_000_000_000L;
  private static final long LEADERLESS_NANOS = 4_000_000_000L;

  private final TandemConfig cfg;
  private final NodeIdentity identity;
  private final ClusterHandle cluster;
  private final Consumer<LocalMembership> adopt;
  private final Consumer<String> refusedBy;
  private long leaderlessSince = -1;
  private long lastProbe = System.nanoTime() - PROBE_EVERY_NANOS;
  private String lastRefusal = "";

  Generations(TandemConfig cfg, NodeIdentity identity, ClusterHandle cluster, Consumer<LocalMembership> adopt,
      Consumer<String> refusedBy) {
    this.refusedBy = refusedBy;
    this.cfg = cfg;
    this.identity = identity;
    this.cluster = cluster;
    this.adopt = adopt;
  }

  void noteLeader(boolean hasLeader) {
    long now = System.nanoTime();
    if (hasLeader) {
      leaderlessSince = -1;
    } else if (leaderlessSince < 0) {
      leaderlessSince = now;
    } else if (now - leaderlessSince > LEADERLESS_NANOS) {
      probe();
    }
  }

  /** Says hello to the members (at most every 3 s). */
  void probe() {
    long now = System.nanoTime();
    if (now - lastProbe < PROBE_EVERY_NANOS) {
      return;
    }
    lastProbe = now;
    for (Member m : knownMembers()) {
      if (m.name().equals(cfg.node().name().value())) {
        continue;
      }
      HelloReply r = hello(m);
      if (r == null) {
        continue;
      }
      if (!r.getMember()) {
        refused(m, r.getMessage());
      } else if (r.getGeneration() > currentGeneration()) {
        adopt.accept(newer(r));
        return;
      }
    }
  }

  private List<Member> knownMembers() {
    ClusterState s = cluster.state();
    if (s.bootstrapped()) {
      return List.copyOf(s.members().values());
    }
    try {
      LocalMembership lm = LocalMembership.read(cfg.node().dataDir());
      return lm == null ? List.of() : lm.members();
    } catch (java.io.IOException e) {
      return List.of();
    }
  }

  private long currentGeneration() {
    try {
      LocalMembership lm = LocalMembership.read(cfg.node().dataDir());
      return lm == null ? 0 : lm.generation();
    } catch (java.io.IOException e) {
      return 0;
    }
  }

  private HelloReply hello(Member m) {
    HostPort hp = HostPort.parse(m.listen());
    var trust = new PinnedPeers(java.util.Set.of(new NodeId(m.nodeId()))).trustManager("hello");
    try (TransportClient c = TransportClient.connect(hp.host(), hp.port(), identity, trust)) {
      return c.hello(HelloRequest.newBuilder().setCluster(cfg.cluster()).setName(cfg.node().name().value())
          .setGeneration(currentGeneration()).build(), java.time.Duration.ofSeconds(2));
    } catch (Exception e) {
      LOG.debug("hello to {} failed: {}", m.name(), e.getMessage());
      return null;
    }
  }

  private void refused(Member m, String message) {
    if (message.equals(lastRefusal)) {
      return;
    }
    lastRefusal = message;
    LOG.error("{} refuses this node: {}", m.name(), message);
    refusedBy.accept(m.name() + " refuses this node: " + message);
  }

  private LocalMembership newer(HelloReply r) {
    List<Member> members = r.getMembersList().stream().map(ClusterJoinHandler::member).toList();
    List<String> voters = new ArrayList<>(r.getVotersList());
    if (!voters.contains(cfg.node().name().value())) {
      voters.add(cfg.node().name().value());
    }
    return new LocalMembership(r.getCluster(), r.getGeneration(), members, voters);
  }
}
