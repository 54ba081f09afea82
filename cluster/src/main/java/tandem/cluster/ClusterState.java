package tandem.cluster;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * An immutable snapshot of everything the cluster agrees on: members, groups with their primary,
 * epoch and lease counter, join tokens and the nodes' latest reports. {@link #apply} is the only
 * way to change it and is a pure function of the state and the command, so every node that
 * applies the same log reaches the same state.
 *
 * @param cluster the cluster's name ("" before bootstrap)
 * @param generation grows when a forced failover re-forms the voting set
 * @param members members by name
 * @param voters names of the members that vote in the current generation (all members unless a
 *     forced failover left some out)
 * @param groups groups by name
 * @param invites join tokens by secret hash
 * @param reports node reports by "node/group"
 * @param index the Raft log index of the last applied command
 */
public record ClusterState(
    String cluster,
    long generation,
    SortedMap<String, Member> members,
    List<String> voters,
    SortedMap<String, GroupState> groups,
    SortedMap<String, Invite> invites,
    SortedMap<String, NodeReport> reports,
    long index) {

  private static final long INVITE_KEEP_MILLIS = 24 * 3600_000L;

  public ClusterState {
    members = Collections.unmodifiableSortedMap(new TreeMap<>(members));
    voters = List.copyOf(voters);
    groups = Collections.unmodifiableSortedMap(new TreeMap<>(groups));
    invites = Collections.unmodifiableSortedMap(new TreeMap<>(invites));
    reports = Collections.unmodifiableSortedMap(new TreeMap<>(reports));
  }

  /** The state before bootstrap. */
  public static ClusterState empty() {
    return new ClusterState("", 0, new TreeMap<>(), List.of(), new TreeMap<>(), new TreeMap<>(), new TreeMap<>(), 0);
  }

  /** The new state and the command's result. */
  public record Applied(ClusterState state, CommandResult result) {}

  public boolean bootstrapped() {
    return !cluster.isEmpty();
  }

  /** The latest report of a node for a group, or null. */
  public NodeReport report(String node, String group) {
    return reports.get(node + "/" + group);
  }

  /** The voting members that hold data (not witnesses). */
  public List<Member> dataVoters() {
    return voters.stream().map(members::get).filter(m -> m != null && !m.witness()).toList();
  }

  /** True when the voters other than {@code node} are a majority on their own. */
  public boolean othersHaveMajority(String node) {
    long others = voters.stream().filter(v -> !v.equals(node)).count();
    return others * 2 > voters.size();
  }

  /** Applies a command at log index {@code at}; never throws for a well-formed command. */
  public Applied apply(ClusterCommand command, long at) {
    Applied a = switch (command) {
      case ClusterCommand.Bootstrap c -> bootstrap(c);
      case ClusterCommand.CreateInvite c -> invite(c);
      case ClusterCommand.Join c -> join(c);
      case ClusterCommand.DefineGroup c -> define(c);
      case ClusterCommand.Renew c -> renew(c);
      case ClusterCommand.Promote c -> promote(c);
      case ClusterCommand.RequestSwitchover c -> switchover(c);
      case ClusterCommand.Release c -> release(c);
      case ClusterCommand.SetPaused c -> pause(c);
      case ClusterCommand.Report c -> report(c);
      case ClusterCommand.Reform c -> reform(c);
      case ClusterCommand.AddVoter c -> addVoter(c);
      case ClusterCommand.RemoveMember c -> removeMember(c);
      case ClusterCommand.NoteDecision c -> noteDecision(c);
      case ClusterCommand.ReportDefinition c -> reportDefinition(c);
    };
    return new Applied(a.state.at(at), a.result);
  }

  private ClusterState at(long i) {
    return new ClusterState(cluster, generation, members, voters, groups, invites, reports, i);
  }

  private Applied bootstrap(ClusterCommand.Bootstrap c) {
    if (bootstrapped()) {
      return refuse("cluster " + cluster + " is already bootstrapped");
    }
    var m = new TreeMap<String, Member>();
    m.put(c.first().name(), c.first());
    return new Applied(new ClusterState(c.cluster(), 1, m, List.of(c.first().name()), groups, invites, reports, index),
        CommandResult.ok("cluster " + c.cluster() + " bootstrapped by " + c.first().name()));
  }

  private Applied invite(ClusterCommand.CreateInvite c) {
    var inv = new TreeMap<String, Invite>();
    invites.forEach((k, v) -> {
      if (v.expiresAtMillis() + INVITE_KEEP_MILLIS > c.expiresAtMillis()) {
        inv.put(k, v);
      }
    });
    inv.put(c.secretHash(), new Invite(c.secretHash(), c.inviter(), c.expiresAtMillis(), null));
    return new Applied(with(members, voters, groups, inv, reports), CommandResult.ok("invite created by " + c.inviter()));
  }

  private Applied join(ClusterCommand.Join c) {
    Invite inv = invites.get(c.secretHash());
    Member m = c.member();
    if (inv == null) {
      return refuse("this join token is not known to cluster " + cluster
          + "; run `tandem invite` on a member and use the token it prints");
    }
    if (inv.usedBy() != null) {
      return refuse("this join token was already used by " + inv.usedBy()
          + "; tokens work once: run `tandem invite` again for a new one");
    }
    if (c.nowMillis() > inv.expiresAtMillis()) {
      return refuse("this join token expired at " + java.time.Instant.ofEpochMilli(inv.expiresAtMillis())
          + "; run `tandem invite` again for a new one");
    }
    Member same = members.get(m.name());
    if (same != null && !same.nodeId().equals(m.nodeId())) {
      return refuse("a node named " + m.name() + " is already a member with another certificate ("
          + same.nodeId().substring(0, 12) + "); pick another name with `tandem init --node`, or remove the old member first");
    }
    for (Member other : members.values()) {
      if (other.nodeId().equals(m.nodeId()) && !other.name().equals(m.name())) {
        return refuse("this certificate already belongs to member " + other.name());
      }
    }
    var mem = new TreeMap<>(members);
    mem.put(m.name(), m);
    var v = new ArrayList<>(voters);
    if (!v.contains(m.name())) {
      v.add(m.name());
    }
    var inv2 = new TreeMap<>(invites);
    inv2.put(inv.secretHash(), new Invite(inv.secretHash(), inv.inviter(), inv.expiresAtMillis(), m.name()));
    return new Applied(with(mem, v, groups, inv2, reports),
        CommandResult.ok(m.name() + (m.witness() ? " (witness)" : "") + " joined cluster " + cluster));
  }

  private Applied define(ClusterCommand.DefineGroup c) {
    var g = new TreeMap<>(groups);
    GroupState old = groups.get(c.group());
    String current = old == null ? "" : old.definitionHash();
    if (c.seenHash() != null && !c.seenHash().equals(current)) {
      return refuse("group " + c.group() + " was defined meanwhile (by " + (old == null ? "nobody" : old.definedBy())
          + "); " + c.by() + " decides again on the current definition");
    }
    GroupState now = old == null
        ? new GroupState(c.group(), c.modes(), c.failback(), c.failbackAfterMillis(), c.by(), c.hash(),
            null, 0, 0, false, null, "defined by " + c.by(), 0, null, null, 0, Map.of())
        : old.withDefinition(c.modes(), c.failback(), c.failbackAfterMillis(), c.by(), c.hash());
    g.put(c.group(), now);
    return new Applied(with(members, voters, g, invites, reports),
        CommandResult.ok("group " + c.group() + " defined by " + c.by()));
  }

  private Applied renew(ClusterCommand.Renew c) {
    GroupState g = groups.get(c.group());
    if (g == null) {
      return refuse("no group " + c.group());
    }
    if (!c.node().equals(g.primary()) || c.epoch() != g.epoch()) {
      return new Applied(this, new CommandResult(false, c.node() + " is not the primary of " + c.group()
          + " under epoch " + c.epoch() + " (primary " + g.primary() + ", epoch " + g.epoch() + ")", g.epoch()));
    }
    return new Applied(withGroup(g.withRenewal()), CommandResult.ok("renewed", g.epoch()));
  }

  private Applied promote(ClusterCommand.Promote c) {
    GroupState g = groups.get(c.group());
    if (g == null) {
      return refuse("no group " + c.group());
    }
    if (g.epoch() != c.expectedEpoch() || g.renewals() != c.expectedRenewals()) {
      return new Applied(this, new CommandResult(false, "promotion of " + c.node() + " cancelled: group " + c.group()
          + " changed since the decision (epoch " + g.epoch() + ", renewals " + g.renewals() + ")", g.epoch()));
    }
    if (!members.containsKey(c.node()) || members.get(c.node()).witness()) {
      return refuse(c.node() + " is not a data node of cluster " + cluster);
    }
    long e = g.epoch() + 1;
    return new Applied(withGroup(g.withPrimary(c.node(), e, c.reason(), c.atMillis())),
        CommandResult.ok(c.node() + " is now primary of " + c.group() + " (epoch " + e + "): " + c.reason(), e));
  }

  private Applied switchover(ClusterCommand.RequestSwitchover c) {
    GroupState g = groups.get(c.group());
    if (g == null) {
      return refuse("no group " + c.group() + "; groups: " + groups.keySet());
    }
    if (!members.containsKey(c.to()) || members.get(c.to()).witness()) {
      return refuse(c.to() + " is not a data node of cluster " + cluster + "; members: " + members.keySet());
    }
    if (c.to().equals(g.primary())) {
      return new Applied(this, CommandResult.ok(c.to() + " is already primary of " + c.group(), g.epoch()));
    }
    if (!g.hasPrimary()) {
      return refuse("group " + c.group() + " has no primary to hand over from; wait for a failover or use `tandem failover`");
    }
    return new Applied(withGroup(g.withSwitchoverTo(c.to())),
        CommandResult.ok("switchover of " + c.group() + " from " + g.primary() + " to " + c.to() + " requested: " + c.reason(), g.epoch()));
  }

  private Applied release(ClusterCommand.Release c) {
    GroupState g = groups.get(c.group());
    if (g == null || !c.node().equals(g.primary()) || g.epoch() != c.epoch()) {
      return refuse(c.node() + " cannot release " + c.group() + ": it is not its primary under epoch " + c.epoch());
    }
    String to = g.switchoverTo();
    long e = g.epoch() + 1;
    String why = to == null ? c.node() + " released the group" : "switchover from " + c.node();
    return new Applied(withGroup(g.withPrimary(to, e, why, c.atMillis())),
        CommandResult.ok(c.node() + " released " + c.group() + (to == null ? "" : " to " + to) + " (epoch " + e + ")", e));
  }

  private Applied pause(ClusterCommand.SetPaused c) {
    GroupState g = groups.get(c.group());
    if (g == null) {
      return refuse("no group " + c.group() + "; groups: " + groups.keySet());
    }
    return new Applied(withGroup(g.withPaused(c.paused())),
        CommandResult.ok("group " + c.group() + (c.paused() ? " paused" : " resumed") + " by " + c.by(), g.epoch()));
  }

  private Applied report(ClusterCommand.Report c) {
    var r = new TreeMap<>(reports);
    r.put(c.report().node() + "/" + c.report().group(), c.report());
    return new Applied(with(members, voters, groups, invites, r), CommandResult.ok("reported"));
  }

  private Applied reform(ClusterCommand.Reform c) {
    if (bootstrapped()) {
      return refuse("cluster " + cluster + " is running; a re-form only seeds a new generation");
    }
    ClusterState p = c.previous();
    ClusterState s = new ClusterState(p.cluster, c.generation(), p.members, c.voters(), p.groups, p.invites, p.reports, index);
    GroupState g = c.group() == null ? null : s.groups.get(c.group());
    if (g == null) {
      return new Applied(s, CommandResult.ok("cluster re-formed with voters " + c.voters()));
    }
    long e = g.epoch() + 1;
    return new Applied(s.withGroup(g.withPrimary(c.node(), e, c.reason(), c.atMillis())),
        CommandResult.ok("cluster re-formed with voters " + c.voters() + "; " + c.node() + " is primary of " + c.group() + " (epoch " + e + ")", e));
  }

  private Applied addVoter(ClusterCommand.AddVoter c) {
    if (!members.containsKey(c.node())) {
      return refuse(c.node() + " is not a member");
    }
    if (voters.contains(c.node())) {
      return new Applied(this, CommandResult.ok(c.node() + " already votes"));
    }
    var v = new ArrayList<>(voters);
    v.add(c.node());
    return new Applied(with(members, v, groups, invites, reports), CommandResult.ok(c.node() + " votes again"));
  }

  private Applied reportDefinition(ClusterCommand.ReportDefinition c) {
    GroupState g = groups.get(c.group());
    if (g == null) {
      return refuse("no group " + c.group());
    }
    if (!members.containsKey(c.node())) {
      return refuse(c.node() + " is not a member of cluster " + cluster);
    }
    String msg = c.differences().isEmpty()
        ? c.node() + "'s tandem.yaml agrees with the cluster's definition of " + c.group()
        : c.node() + "'s tandem.yaml defines " + c.group() + " differently from the cluster's definition (from "
            + g.definedBy() + "'s file): " + c.differences();
    return new Applied(withGroup(g.withDiffering(c.node(), c.differences())), CommandResult.ok(msg));
  }

  private Applied noteDecision(ClusterCommand.NoteDecision c) {
    GroupState g = groups.get(c.group());
    if (g == null) {
      return refuse("no group " + c.group());
    }
    return new Applied(withGroup(g.withDecision(c.sentence(), c.by(), c.atMillis())), CommandResult.ok("noted"));
  }

  private Applied removeMember(ClusterCommand.RemoveMember c) {
    if (!members.containsKey(c.node())) {
      return refuse(c.node() + " is not a member of cluster " + cluster + "; members: " + members.keySet());
    }
    if (members.size() == 1) {
      return refuse(c.node() + " is the only member of cluster " + cluster + "; a cluster cannot remove its last member");
    }
    var mem = new TreeMap<>(members);
    mem.remove(c.node());
    var v = new ArrayList<>(voters);
    v.remove(c.node());
    var rep = new TreeMap<>(reports);
    rep.keySet().removeIf(k -> k.startsWith(c.node() + "/"));
    var g = new TreeMap<String, GroupState>();
    groups.forEach((name, gs) -> g.put(name, gs.withDiffering(c.node(), "")));
    return new Applied(with(mem, v, g, invites, rep), CommandResult.ok(c.node() + " removed from cluster " + cluster
        + " by " + c.by() + (c.reason().isEmpty() ? "" : ": " + c.reason())));
  }

  private ClusterState withGroup(GroupState g) {
    var m = new TreeMap<>(groups);
    m.put(g.name(), g);
    return with(members, voters, m, invites, reports);
  }

  private ClusterState with(Map<String, Member> mem, List<String> v, Map<String, GroupState> g,
      Map<String, Invite> inv, Map<String, NodeReport> rep) {
    return new ClusterState(cluster, generation, new TreeMap<>(mem), v, new TreeMap<>(g), new TreeMap<>(inv), new TreeMap<>(rep), index);
  }

  private Applied refuse(String message) {
    return new Applied(this, CommandResult.refused(message));
  }
}
