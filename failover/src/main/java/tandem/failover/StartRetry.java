package tandem.failover;

import java.time.Duration;

/**
 * When a primary whose start failed tries again: 5 s after the first failure, doubling up to 5 min. A pure value:
 * the coordinator makes one after each failure it sees and asks {@link #due} on its own clock.
 *
 * <p>Retries only happen while this node stays primary: when another node can take the group, the leader moves it
 * there (a failed start counts as a failing critical check) and the retries end with the switchover.
 *
 * @param epoch the epoch the failed start was under; a new epoch starts counting again
 * @param failures how many starts failed in a row under that epoch (at least 1)
 * @param nextNanos when to try again, on the coordinator's monotonic clock
 */
record StartRetry(long epoch, int failures, long nextNanos) {
  static final Duration FIRST = Duration.ofSeconds(5);
  static final Duration MAX = Duration.ofMinutes(5);

  /** The wait after {@code failures} failed starts in a row: first, 2 x first, 4 x first ... at most {@code max}. */
  static Duration delay(int failures, Duration first, Duration max) {
    Duration d = first;
    for (int i = 1; i < failures && d.compareTo(max) < 0; i++) {
      d = d.multipliedBy(2);
    }
    return d.compareTo(max) > 0 ? max : d;
  }

  /** The retry after the {@code failures}-th failed start in a row, seen at {@code now}. */
  static StartRetry after(long epoch, int failures, long now, Duration first, Duration max) {
    return new StartRetry(epoch, failures, now + delay(failures, first, max).toNanos());
  }

  /** True once the next attempt is due. */
  boolean due(long now) {
    return now - nextNanos >= 0;
  }

  /** True when this retry was made for the failure the group reports now. */
  boolean covers(long epoch, int failures) {
    return this.epoch == epoch && this.failures == failures;
  }
}
