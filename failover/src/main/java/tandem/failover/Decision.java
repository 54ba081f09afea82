package tandem.failover;

import java.time.Duration;

/**
 * What the leader should do about one group now. Each case carries the sentence that explains
 * it; the same sentence is logged, shown by `tandem status` and kept as "why" in events.
 */
public sealed interface Decision {
  String why();

  /** Nothing to do. */
  record Stay(String why) implements Decision {}

  /** Make {@code node} the primary now (the old primary's lease is over, or there is none). */
  record Promote(String node, String why) implements Decision {}

  /** Ask the living primary to hand the group to {@code node} (planned move: no lease wait). */
  record Switchover(String node, String why) implements Decision {}

  /** Something will happen, but not yet: e.g. the lost primary's lease still runs. */
  record Wait(String why, Duration remaining) implements Decision {}

  /** Action is needed but impossible; an operator must look (e.g. no healthy candidate). */
  record Stuck(String why) implements Decision {}
}
