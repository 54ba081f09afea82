package tandem.resource;

import java.time.Duration;
import tandem.core.Shell;

/**
 * An operator's script run on a change of role (on-promote, on-demote) with the facts keepalived
 * gives its notify scripts: TANDEM_GROUP, TANDEM_ROLE, TANDEM_OLD_ROLE, TANDEM_EPOCH, TANDEM_NODE.
 */
public record Hook(String name, String command, Duration timeout) {

  /** Runs the hook; returns the result (a failed hook is reported, it does not undo the change). */
  public Shell.Result run(RoleChange change) throws InterruptedException {
    return Shell.run(command, change.environment(), timeout);
  }

  public FenceStep fenceStep(RoleChange change) {
    return new FenceStep(command, change.environment(), timeout.toMillis());
  }
}
