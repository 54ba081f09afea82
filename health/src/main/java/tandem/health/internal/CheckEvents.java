package tandem.health.internal;

import java.time.Duration;
import java.time.InstantSource;
import java.util.Objects;
import tandem.config.CheckConfig;
import tandem.core.Durations;
import tandem.core.Event;
import tandem.core.EventSink;
import tandem.core.Level;
import tandem.core.Shell;

/** The events a health monitor tells: a check failed, recovered, was fixed, or was not run on time. */
public final class CheckEvents {
  private final String node;
  private final String group;
  private final InstantSource clock;
  private final EventSink sink;

  public CheckEvents(String node, String group, InstantSource clock, EventSink sink) {
    this.node = node;
    this.group = group;
    this.clock = Objects.requireNonNull(clock, "clock");
    this.sink = Objects.requireNonNull(sink, "events");
  }

  /** The check turned FAILING: CRITICAL when it is critical, else WARNING. */
  public void failed(CheckSlot slot, Tally tally) {
    CheckConfig c = slot.config();
    String message = "check " + slot.label() + " failed " + times(tally.fails()) + " in a row (" + tally.detail() + ")"
        + fixesTried(c, tally.fixesUsed()) + consequence(c);
    emit(c.critical() ? Level.CRITICAL : Level.WARNING, "check-failed", message);
  }

  /** The check went from FAILING back to PASSING. */
  public void recovered(CheckSlot slot, Tally tally) {
    emit(Level.INFO, "check-recovered",
        "check " + slot.label() + " recovered: passed " + times(tally.passes()) + " in a row (" + tally.detail() + ")");
  }

  /** A fix command ran after {@code failures} failures in a row. */
  public void fixed(CheckSlot slot, Tally tally, int failures, Shell.Result result) {
    CheckConfig c = slot.config();
    String message = "check " + slot.label() + " failed " + times(failures) + " (" + tally.detail() + "); running fix '"
        + c.fix().orElse("") + "' (attempt " + tally.fixesUsed() + " of " + c.fixAttempts() + "): " + result.summary();
    emit(Level.WARNING, "check-fix", message);
  }

  /** The scheduler ran the check {@code gap} after its previous run, far later than its interval. */
  public void stalled(CheckSlot slot, Duration gap) {
    emit(Level.WARNING, "health-stall", "check " + slot.label() + " ran " + Durations.format(gap)
        + " after its previous run, though its interval is " + Durations.format(slot.config().interval())
        + ": this node was starved of CPU or suspended, so its health verdicts lag behind");
  }

  /** The onChange callback threw; the monitor goes on. */
  public void callbackFailed(RuntimeException e) {
    emit(Level.WARNING, "health-callback-failed",
        "the health listener of group " + group + " threw " + e + "; the monitor goes on with the next change");
  }

  private void emit(Level level, String kind, String message) {
    sink.emit(new Event(clock.instant(), level, kind, node, group, message));
  }

  private String consequence(CheckConfig c) {
    if (c.critical()) {
      return "; the check is critical, so this node is unhealthy for group " + group;
    }
    if (c.weight() < 0) {
      return "; this node's priority drops by " + -c.weight();
    }
    return c.weight() > 0 ? "; its weight +" + c.weight() + " no longer counts" : "";
  }

  private static String fixesTried(CheckConfig c, int used) {
    String attempts = used == 1 ? "1 fix attempt" : used + " fix attempts";
    return used == 0 ? "" : "; " + attempts + " with '" + c.fix().orElse("") + "' did not help";
  }

  private static String times(int n) {
    return n == 1 ? "1 time" : n + " times";
  }
}
