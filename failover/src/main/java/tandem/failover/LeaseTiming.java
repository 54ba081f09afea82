package tandem.failover;

import java.time.Duration;

/**
 * The lease arithmetic shared by the primary (when to renew, when to fence itself) and the
 * leader (when it may promote). With lease L renewed at local time t0, the primary may act as
 * primary until t0 + L minus {@link #fenceLead()}; its watchdog stops the resources at t0 + L
 * minus {@link #watchdogLead()}; the leader, which saw the renewal at ta >= t0, promotes no
 * earlier than ta + L + margin. So the old primary has stopped before anyone else starts.
 *
 * @param lease how long a renewal keeps the primary in office
 * @param renewInterval how often the primary renews
 * @param promoteMargin extra wait on the leader for clock-rate drift and scheduling
 */
public record LeaseTiming(Duration lease, Duration renewInterval, Duration promoteMargin) {

  /** How long before its lease ends the agent stops the group's resources itself (25%). */
  public Duration fenceLead() {
    return lease.dividedBy(4);
  }

  /**
   * How long before the lease ends the external watchdog stops them if the agent did not (15%).
   * With the defaults the agent fences 1.5 s after its last renewal, the watchdog at 1.7 s, and no
   * other node starts the group before 2.3 s: a stop command has at least 0.6 s to finish.
   */
  public Duration watchdogLead() {
    return lease.multipliedBy(15).dividedBy(100);
  }

  /** How long after the last renewal it saw the leader must wait before promoting another node. */
  public Duration promoteAfter() {
    return lease.plus(promoteMargin);
  }
}
