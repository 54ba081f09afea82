package tandem.core;

import java.time.Instant;

/**
 * One thing that happened, said as a sentence for a human, with the facts a script needs.
 *
 * @param time when it happened (wall clock)
 * @param level how much it matters
 * @param kind a stable machine word, e.g. "promoted", "lease-lapsed", "check-failed"
 * @param node the node it happened on
 * @param group the group it concerns, or "" for the cluster
 * @param message the human sentence, with the reason
 */
public record Event(Instant time, Level level, String kind, String node, String group, String message) {}
