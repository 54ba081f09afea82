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
}
