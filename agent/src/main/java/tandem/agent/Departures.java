package tandem.agent;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tandem.cluster.ClusterCommand;
import tandem.cluster.ClusterState;
import tandem.cluster.CommandResult;
import tandem.cluster.GroupState;
import tandem.cluster.LocalMembership;
import tandem.cluster.Member;
import tandem.cluster.MemberRemoval;
import tandem.cluster.NodeReport;
import tandem.config.HostPort;
import tandem.core.Level;
import tandem.core.NodeId;
import tandem.failover.LocalGroup;
import tandem.transport.PinnedPeers;
import tandem.transport.TransportClient;
import tandem.transport.proto.HelloReply;
import tandem.transport.proto.HelloRequest;

/**
 * Members leaving the cluster: `tandem leave` on this node (switch its groups over, hand over the Raft lead, remove
 * itself, stop) and `tandem remove-node` for another, dead member. The rules are {@link MemberRemoval}'s; this class
 * asks the members whether they answer and carries the steps out.
 */
final class Departures {
  private static final Logger LOG = LoggerFactory.getLogger(Departures.class);
  private static final Duration HELLO_TIMEOUT = Duration.ofSeconds(2);
  private static final Duration HANDOVER_TIMEOUT = Duration.ofSeconds(120);
  private static final Duration COMMIT_TIMEOUT = Duration.ofSeconds(10);

  private final Agent agent;

  Departures(Agent agent) {
    this.agent = agent;
  }

  /** `tandem remove-node NAME`, run on any other member. */
  CommandResult remove(String node, boolean force) throws Exception {
    if (node.equals(agent.self())) {
      return CommandResult.refused("this is " + node + " itself: run `tandem leave` here to take it out of the cluster");
    }
    ClusterState s = agent.cluster().state();
    String why = MemberRemoval.refusal(s, node, reachable(s), force, false);
    if (why != null) {
      return CommandResult.refused(why);
    }
    return agent.cluster().submit(new ClusterCommand.RemoveMember(node, agent.self(),
        force ? "removed with --force" : "removed by the operator", System.currentTimeMillis()), COMMIT_TIMEOUT).get();
  }

  /** `tandem leave`: returns once this node is out of the cluster; the agent stops right after. */
  synchronized CommandResult leave(boolean force) throws Exception {
    String self = agent.self();
    ClusterState s = agent.cluster().state();
    String why = MemberRemoval.refusal(s, self, reachable(s), force, true);
    if (why != null) {
      return CommandResult.refused(why);
    }
    List<String> moved = new ArrayList<>();
    for (GroupState g : s.groups().values()) {
      if (!self.equals(g.primary())) {
        continue;
      }
      String target = target(s, g);
      if (target == null && !force) {
        return CommandResult.refused(self + " is primary of " + g.name() + " and no other node can take it (no other "
            + "data node of the group reports healthy); fix that first, or `tandem leave --force` stops " + g.name()
            + " here and leaves it without a primary");
      }
      String done = target == null ? release(g) : switchOver(g, target);
      if (done != null) {
        return CommandResult.refused("leaving stopped: " + done);
      }
      moved.add(g.name() + (target == null ? " released" : " to " + target));
    }
    agent.cluster().current().handOffLeadership();
    CommandResult r = agent.cluster().submit(new ClusterCommand.RemoveMember(self, self, "left the cluster (tandem leave)",
        System.currentTimeMillis()), COMMIT_TIMEOUT).get();
    if (!r.ok()) {
      return r;
    }
    awaitOutOfRaft(self);
    agent.leftCluster();
    return CommandResult.ok(r.message() + (moved.isEmpty() ? "" : "; groups handed over first: "
        + String.join(", ", moved)) + "; the agent stops now (tandem.yaml and the node's keys are kept)");
  }

  /** The node a leaving primary hands {@code g} to: data node of the group, healthy, highest mode, then name. */
  private String target(ClusterState s, GroupState g) {
    return g.modes().entrySet().stream()
        .filter(e -> !e.getKey().equals(agent.self()) && !"off".equals(e.getValue()))
        .filter(e -> s.members().containsKey(e.getKey()) && !s.members().get(e.getKey()).witness())
        .filter(e -> {
          NodeReport r = s.report(e.getKey(), g.name());
          return r != null && r.passing() && !r.criticalFailing();
        })
        .sorted(Comparator.comparingInt((Map.Entry<String, String> e) -> rank(e.getValue())).thenComparing(Map.Entry::getKey))
        .map(Map.Entry::getKey).findFirst().orElse(null);
  }

  private static int rank(String mode) {
    return switch (mode) {
      case "primary" -> 0;
      case "active" -> 1;
      default -> 2;
    };
  }

  /** Null once {@code target} runs the group, else why not. */
  private String switchOver(GroupState g, String target) throws Exception {
    CommandResult r = agent.cluster().submit(new ClusterCommand.RequestSwitchover(g.name(), target,
        agent.self() + " leaves the cluster", System.currentTimeMillis()), COMMIT_TIMEOUT).get();
    if (!r.ok()) {
      return r.message();
    }
    long deadline = System.nanoTime() + HANDOVER_TIMEOUT.toNanos();
    while (System.nanoTime() - deadline < 0) {
      ClusterState s = agent.cluster().state();
      GroupState now = s.groups().get(g.name());
      NodeReport rep = s.report(target, g.name());
      if (now != null && target.equals(now.primary()) && rep != null && rep.running() && rep.runningEpoch() == now.epoch()) {
        return null;
      }
      TimeUnit.MILLISECONDS.sleep(100);
    }
    return g.name() + " did not start on " + target + " within " + HANDOVER_TIMEOUT.toSeconds() + "s; see `tandem status`"
        + " and `tandem events`";
  }

  /** Stops {@code g} here and releases it without a target (leave --force); null when done, else why not. */
  private String release(GroupState g) throws InterruptedException {
    LocalGroup lg = agent.localGroup(g.name());
    if (lg == null) {
      return "no group " + g.name() + " on " + agent.self();
    }
    var done = new java.util.concurrent.CountDownLatch(1);
    lg.demote(agent.self() + " leaves the cluster (--force)", Level.WARNING, done::countDown);
    done.await(5, TimeUnit.MINUTES);
    try {
      CommandResult r = agent.cluster().submit(new ClusterCommand.Release(g.name(), agent.self(), g.epoch(),
          System.currentTimeMillis()), COMMIT_TIMEOUT).get();
      return r.ok() ? null : r.message();
    } catch (Exception e) {
      return "could not release " + g.name() + ": " + e.getMessage();
    }
  }

  /** After `tandem leave`: the Raft log and cluster.json move aside (kept, not deleted) so that `tandem join` works. */
  static void keepAsideForRejoin(Path data) {
    long now = System.currentTimeMillis();
    for (String name : List.of("raft", LocalMembership.FILE)) {
      Path from = data.resolve(name);
      try {
        if (Files.exists(from)) {
          Files.move(from, data.resolve(name + ".left-" + now));
        }
      } catch (IOException e) {
        LOG.warn("could not move {} aside after leaving: {}; move it before `tandem join`", from, e.getMessage());
      }
    }
  }

  /** Waits (a while) until the Raft configuration no longer has this node, so the rest never count a gone voter. */
  private void awaitOutOfRaft(String self) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
    while (agent.cluster().current().votesInRaft(self) && System.nanoTime() - deadline < 0) {
      TimeUnit.MILLISECONDS.sleep(100);
    }
    if (agent.cluster().current().votesInRaft(self)) {
      LOG.warn("{} is still in the Raft configuration as far as it knows; the leader removes it", self);
    }
  }

  /** The members that answer a hello now (in parallel), this node included. */
  private Set<String> reachable(ClusterState s) throws InterruptedException {
    List<Member> others = s.members().values().stream().filter(m -> !m.name().equals(agent.self())).toList();
    Set<String> out = Hellos.answering(s, others, agent.identity(), agent.self(), HELLO_TIMEOUT);
    out.add(agent.self());
    return out;
  }
}
