package tandem.agent;

import java.time.Duration;
import tandem.api.AgentActions;
import tandem.cluster.ClusterCommand;
import tandem.cluster.ClusterState;
import tandem.cluster.CommandResult;
import tandem.cluster.GroupState;
import tandem.transport.JoinToken;

/** The API's mutating operations, carried out through the cluster. */
final class Actions implements AgentActions {
  private static final Duration TIMEOUT = Duration.ofSeconds(5);
  private final Agent agent;

  Actions(Agent agent) {
    this.agent = agent;
  }

  @Override
  public CommandResult switchover(String group, String to) throws Exception {
    return agent.cluster().submit(new ClusterCommand.RequestSwitchover(group, to, "switchover asked by the operator",
        System.currentTimeMillis()), TIMEOUT).get();
  }

  @Override
  public CommandResult failover(String group, String to, boolean force) throws Exception {
    ClusterState s = agent.cluster().state();
    GroupState g = s.groups().get(group);
    if (g == null) {
      return CommandResult.refused("no group " + group + "; groups: " + s.groups().keySet());
    }
    if (!force) {
      return CommandResult.refused("failover without --force is not offered: use `tandem switchover " + group + " --to " + to
          + "` for a planned move; tandem fails over by itself when the primary is lost; add --force only when you know "
          + g.primary() + " is down and the cluster cannot decide (no quorum)");
    }
    if (!s.members().containsKey(to) || s.members().get(to).witness()) {
      return CommandResult.refused(to + " is not a data node of cluster " + s.cluster() + "; members: " + s.members().keySet());
    }
    try {
      // With a quorum, the forced promotion goes through Raft like any other: fenced by the epoch.
      return agent.cluster().submit(new ClusterCommand.Promote(group, to, g.epoch(), g.renewals(),
          "forced failover by the operator", System.currentTimeMillis()), Duration.ofSeconds(3)).get();
    } catch (java.util.concurrent.ExecutionException e) {
      // Not committed (a refusal would be a result, not an exception): the cluster has no quorum.
      return agent.reform(group, to);
    }
  }

  @Override
  public CommandResult pause(String group, boolean paused) throws Exception {
    return agent.cluster().submit(new ClusterCommand.SetPaused(group, paused, agent.self()), TIMEOUT).get();
  }

  @Override
  public CommandResult leave(boolean force) throws Exception {
    return agent.departures().leave(force);
  }

  @Override
  public CommandResult removeNode(String node, boolean force) throws Exception {
    return agent.departures().remove(node, force);
  }

  @Override
  public String invite(Duration ttl) throws Exception {
    JoinToken t = JoinToken.generate(agent.identity().id());
    CommandResult r = agent.cluster().submit(new ClusterCommand.CreateInvite(t.secretHash(), agent.self(),
        System.currentTimeMillis() + ttl.toMillis()), TIMEOUT).get();
    if (!r.ok()) {
      throw new IllegalStateException(r.message());
    }
    return t.encode();
  }

  @Override
  public tandem.backup.BackupScheduler.Requested startBackup(String name, boolean rereadAll) {
    var b = agent.backups();
    if (b == null) {
      throw new IllegalArgumentException("the agent is still starting; try again in a few seconds");
    }
    return b.request(name, rereadAll);
  }

  @Override
  public java.util.Optional<tandem.backup.BackupScheduler.Requested> backupRun(String id) {
    var b = agent.backups();
    return b == null ? java.util.Optional.empty() : b.requested(id);
  }
}
