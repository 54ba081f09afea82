package tandem.config;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * One health check of a group: what to probe, where and how often, and how a result moves the node's health.
 *
 * @param name unique within the group; by default "kind:target", e.g. "tcp:127.0.0.1:5432"
 * @param target what the check probes
 * @param on where the check runs
 * @param interval time between two runs
 * @param timeout how long one run may take; at most the interval
 * @param fall consecutive failures before the check counts as failed
 * @param rise consecutive successes before a failed check counts as passing again
 * @param weight added to the node's priority while the check fails, -254..254; 0 when unused
 * @param critical true when a failure makes the node ineligible outright (then weight is 0)
 * @param fix a command run when the check fails, before failing over
 * @param fixAttempts how many times fix is tried, 1..100; 0 when there is no fix
 */
public record CheckConfig(
    String name,
    CheckTarget target,
    CheckScope on,
    Duration interval,
    Duration timeout,
    int fall,
    int rise,
    int weight,
    boolean critical,
    Optional<String> fix,
    int fixAttempts) {
  static final int MAX_WEIGHT = 254;
  static final int MAX_FIX_ATTEMPTS = 100;

  public CheckConfig {
    Checks.notBlank(name, "name");
    Objects.requireNonNull(target, "target");
    Objects.requireNonNull(on, "on");
    Checks.positive(interval, "interval");
    Checks.positive(timeout, "timeout");
    Checks.range(fall, 1, Integer.MAX_VALUE, "fall");
    Checks.range(rise, 1, Integer.MAX_VALUE, "rise");
    Checks.range(weight, -MAX_WEIGHT, MAX_WEIGHT, "weight");
    Objects.requireNonNull(fix, "fix");
    Checks.range(fixAttempts, 0, MAX_FIX_ATTEMPTS, "fixAttempts");
  }
}
