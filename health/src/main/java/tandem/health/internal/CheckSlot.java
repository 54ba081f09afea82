package tandem.health.internal;

import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;
import tandem.config.CheckConfig;
import tandem.health.CheckOutcome;
import tandem.health.CheckStatus;
import tandem.health.HealthCheck;

/**
 * One configured check inside a monitor: its configuration, its probe, whether a run is in
 * flight, and its debounce tally.
 *
 * <p>Threading: {@link #tryBegin}/{@link #end} are atomic; the tally ({@link #record},
 * {@link #reset}, {@link #status}) is guarded by the owning monitor's lock; {@link #tickGap} is
 * called only from the monitor's scheduler thread, and {@link #reset} only while no scheduler runs.
 */
public final class CheckSlot {
  private final CheckConfig config;
  private final HealthCheck check;
  private final Rules rules;
  private final AtomicBoolean running = new AtomicBoolean();
  private Tally tally = Tally.unknown();
  private volatile int failuresInARow;
  private long lastTickNanos = Long.MIN_VALUE;

  public CheckSlot(CheckConfig config, HealthCheck check) {
    this.config = Objects.requireNonNull(config, "config");
    this.check = Objects.requireNonNull(check, "check for " + config.name());
    this.rules = Rules.of(config);
  }

  public CheckConfig config() {
    return config;
  }

  public HealthCheck check() {
    return check;
  }

  /** The name used in messages, e.g. "http:web". */
  public String label() {
    return tandem.health.CheckStatus.label(config.target().kind(), config.name());
  }

  /** Claims the next run; false when the previous run is still in flight. */
  public boolean tryBegin() {
    return running.compareAndSet(false, true);
  }

  /** Releases the claim taken by {@link #tryBegin}. */
  public void end() {
    running.set(false);
  }

  /** Takes one outcome into the tally and says what the monitor must do about it. */
  public Tally.Step record(CheckOutcome outcome) {
    Tally.Step step = tally.after(outcome, rules);
    tally = step.tally();
    failuresInARow = outcome.passed() ? 0 : failuresInARow + 1;
    return step;
  }

  /** Forgets every verdict and count: back to UNKNOWN, as if never run. */
  public void reset() {
    tally = Tally.unknown();
    failuresInARow = 0;
    lastTickNanos = Long.MIN_VALUE;
  }

  public CheckStatus status() {
    return new CheckStatus(config.name(), config.target().kind(), tally.state(), config.weight(),
        config.critical(), tally.detail(), tally.fixesUsed(), failuresInARow);
  }

  /** Nanoseconds since the previous scheduler tick of this check, or 0 on the first tick. */
  public long tickGap(long nowNanos) {
    long gap = lastTickNanos == Long.MIN_VALUE ? 0 : nowNanos - lastTickNanos;
    lastTickNanos = nowNanos;
    return gap;
  }
}
