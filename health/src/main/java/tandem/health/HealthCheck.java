package tandem.health;

import java.time.Duration;

/**
 * One probe of something a group needs (a port, a URL, a process, a disk), run again and again
 * by a {@link HealthMonitor}.
 *
 * <p>Contract: {@link #run} must return within about {@code timeout}, and report a probe that
 * ran out of time as a failed outcome that says so, never by throwing. Runs of one check never
 * overlap, but different checks run at the same time, so an implementation shared between
 * checks must be thread-safe. A {@link RuntimeException} thrown by {@code run} is a bug in the
 * check; the monitor counts it as a failure and puts the exception into the detail.
 */
public interface HealthCheck {
  /** What is probed, for messages and status pages, e.g. "tcp 127.0.0.1:5432". */
  String describe();

  /**
   * Probes once.
   *
   * @param timeout how long the probe may take; running out counts as a failure
   * @throws InterruptedException when the calling thread is interrupted; the outcome is then moot
   */
  CheckOutcome run(Duration timeout) throws InterruptedException;
}
