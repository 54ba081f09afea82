package tandem.health.internal;

import java.util.Objects;
import tandem.health.CheckOutcome;
import tandem.health.CheckState;

/**
 * The debounce state of one check: its verdict and the runs in a row that lead to the next one.
 * Pure: {@link #after} decides what one more outcome means and does nothing else; the monitor
 * acts on the {@link Step} it returns.
 *
 * @param state the current verdict
 * @param passes passes in a row (capped at rise)
 * @param fails failures in a row (capped at fall)
 * @param fixesUsed fixes tried in the current failure episode; a PASSING verdict ends the episode
 * @param detail what the latest run saw
 */
public record Tally(CheckState state, int passes, int fails, int fixesUsed, String detail) {
  public Tally {
    Objects.requireNonNull(state, "state");
    Objects.requireNonNull(detail, "detail");
  }

  /** Where every check starts, and goes back to when the monitor stops. */
  public static Tally unknown() {
    return new Tally(CheckState.UNKNOWN, 0, 0, 0, "");
  }

  /** What one more outcome means under {@code rules}. */
  public Step after(CheckOutcome outcome, Rules rules) {
    return outcome.passed() ? afterPass(outcome.detail(), rules) : afterFail(outcome.detail(), rules);
  }

  private Step afterPass(String detail, Rules rules) {
    int inARow = Math.min(passes + 1, rules.rise());
    if (inARow < rules.rise()) {
      return new Step.Stay(new Tally(state, inARow, 0, fixesUsed, detail));
    }
    // rise passes in a row end the failure episode, even when the verdict was already PASSING
    Tally passing = new Tally(CheckState.PASSING, inARow, 0, 0, detail);
    return state == CheckState.PASSING ? new Step.Stay(passing) : new Step.Turn(passing, state);
  }

  private Step afterFail(String detail, Rules rules) {
    int inARow = Math.min(fails + 1, rules.fall());
    if (inARow < rules.fall() || state == CheckState.FAILING) {
      return new Step.Stay(new Tally(state, 0, inARow, fixesUsed, detail));
    }
    if (fixesUsed < rules.fixAttempts()) {
      // a fix gets a fresh count of failures before it is judged; the verdict waits for it
      return new Step.Fix(new Tally(state, 0, 0, fixesUsed + 1, detail), inARow);
    }
    return new Step.Turn(new Tally(CheckState.FAILING, 0, inARow, fixesUsed, detail), state);
  }

  /** What the monitor must do after one outcome; each step carries the tally to keep. */
  public sealed interface Step {
    Tally tally();

    /** Keep the verdict; only the counts and the detail changed. */
    record Stay(Tally tally) implements Step {}

    /** The verdict changed from {@code from} to {@code tally.state()}: notify and tell. */
    record Turn(Tally tally, CheckState from) implements Step {}

    /** Run the fix command, attempt {@code tally.fixesUsed()}, after {@code failures} failures in a row. */
    record Fix(Tally tally, int failures) implements Step {}
  }
}
