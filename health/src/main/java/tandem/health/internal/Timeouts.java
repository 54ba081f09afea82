package tandem.health.internal;

import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** Bounds on how long a probe may block, for APIs that take no timeout of their own. */
public final class Timeouts {
  private Timeouts() {}

  /** {@code timeout} as the int milliseconds of socket APIs: at least 1 (0 would mean forever). */
  public static int millis(Duration timeout) {
    return Math.clamp(timeout.toMillis(), 1, Integer.MAX_VALUE);
  }

  /**
   * Runs {@code work} on its own virtual thread and waits at most {@code timeout} for it. A call
   * that runs out of time is interrupted and left behind (a statfs on a hung NFS mount cannot be
   * cancelled), so a stuck probe never holds up the monitor.
   *
   * @throws TimeoutException when {@code work} did not finish in time
   * @throws ExecutionException with whatever {@code work} threw
   */
  public static <T> T call(Callable<T> work, Duration timeout)
      throws InterruptedException, ExecutionException, TimeoutException {
    FutureTask<T> task = new FutureTask<>(work);
    Thread.ofVirtual().name("tandem-health-probe").start(task);
    try {
      return task.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
    } finally {
      task.cancel(true);
    }
  }
}
