package tandem.api;

import java.time.Duration;
import tandem.cluster.CommandResult;

/**
 * The mutating operations the API offers, carried out by the agent. Each returns the command's
 * result (refusals carry the reason and the fix) or throws when the cluster cannot be reached.
 */
public interface AgentActions {
  CommandResult switchover(String group, String to) throws Exception;

  CommandResult failover(String group, String to, boolean force) throws Exception;

  CommandResult pause(String group, boolean paused) throws Exception;

  /** A new one-time join token, valid for {@code ttl}. */
  String invite(Duration ttl) throws Exception;

  /**
   * This node leaves the cluster: it switches its groups over, hands over the Raft lead, removes itself, then stops.
   * With {@code force} a group no other node can take is stopped and released instead of holding the leave back.
   */
  CommandResult leave(boolean force) throws Exception;

  /** Removes another member for good (a dead one); {@code force} even when it is a running primary that answers. */
  CommandResult removeNode(String node, boolean force) throws Exception;

  /**
   * Starts backup {@code name} on this node now (`tandem backup run`); {@code rereadAll} reads every file.
   *
   * @throws IllegalArgumentException when the agent has no such backup
   */
  default tandem.backup.BackupScheduler.Requested startBackup(String name, boolean rereadAll) {
    throw new IllegalArgumentException("this agent takes no backups");
  }

  /** A backup run {@link #startBackup} started, while the agent keeps it. */
  default java.util.Optional<tandem.backup.BackupScheduler.Requested> backupRun(String id) {
    return java.util.Optional.empty();
  }
}
