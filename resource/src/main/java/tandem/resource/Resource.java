package tandem.resource;

import java.util.List;

/**
 * One thing a group needs on the node that runs it (a service, later files, a database, an IP).
 * The agent calls {@link #start} in the group's order on promotion and {@link #stop} in reverse
 * order on demotion, one call at a time per group. Both must be idempotent: stop may be called on
 * a resource that is not running (after a crash, by the fencing watchdog too).
 */
public interface Resource {
  /** A short description for messages, e.g. "service 'docker compose up -d'". */
  String describe();

  /** Starts the resource for {@code role}; throws with a message saying what failed. */
  void start(RoleChange change) throws ResourceException, InterruptedException;

  /** Stops the resource; throws with a message saying what failed. */
  void stop(RoleChange change) throws ResourceException, InterruptedException;

  /**
   * The shell commands that stop this resource, for the fencing watchdog, which must be able to
   * stop it when the agent itself hangs or died.
   */
  List<FenceStep> fenceSteps(RoleChange change);
}
