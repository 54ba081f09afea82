package tandem.health.internal;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import tandem.health.CheckOutcome;
import tandem.health.CheckState;

class TallyTest {
  private static final CheckOutcome PASS = CheckOutcome.pass("exit 0");
  private static final CheckOutcome FAIL = CheckOutcome.fail("exit 1");

  @Test
  void fewerPassesThanRise_staysUnknown() {
    Tally.Step step = run(Tally.unknown(), new Rules(3, 2, 0), PASS, PASS);

    assertThat(step).isInstanceOf(Tally.Step.Stay.class);
    assertThat(step.tally().state()).isEqualTo(CheckState.UNKNOWN);
  }

  @Test
  void risePassesFromUnknown_turnPassing() {
    Tally.Step step = run(Tally.unknown(), new Rules(3, 2, 0), PASS, PASS, PASS);

    assertThat(step).isEqualTo(new Tally.Step.Turn(new Tally(CheckState.PASSING, 3, 0, 0, "exit 0"), CheckState.UNKNOWN));
  }

  @Test
  void failureBetweenPasses_startsTheCountOver() {
    Tally.Step step = run(Tally.unknown(), new Rules(2, 3, 0), PASS, FAIL, PASS);

    assertThat(step.tally().state()).isEqualTo(CheckState.UNKNOWN);
    assertThat(step.tally().passes()).isEqualTo(1);
  }

  @Test
  void fallFailuresFromUnknown_turnFailing() {
    Tally.Step step = run(Tally.unknown(), new Rules(1, 2, 0), FAIL, FAIL);

    assertThat(step).isEqualTo(new Tally.Step.Turn(new Tally(CheckState.FAILING, 0, 2, 0, "exit 1"), CheckState.UNKNOWN));
  }

  @Test
  void failingTwiceWithFallThree_staysPassing() {
    Tally passing = run(Tally.unknown(), new Rules(1, 3, 0), PASS).tally();

    Tally.Step step = run(passing, new Rules(1, 3, 0), FAIL, FAIL);

    assertThat(step).isInstanceOf(Tally.Step.Stay.class);
    assertThat(step.tally().state()).isEqualTo(CheckState.PASSING);
  }

  @Test
  void moreFailuresWhileFailing_stay() {
    Tally failing = run(Tally.unknown(), new Rules(1, 1, 0), FAIL).tally();

    assertThat(run(failing, new Rules(1, 1, 0), FAIL)).isInstanceOf(Tally.Step.Stay.class);
  }

  @Test
  void fallFailuresWithFixLeft_runFixAndStartOverKeepingTheVerdict() {
    Tally passing = run(Tally.unknown(), new Rules(1, 2, 2), PASS).tally();

    Tally.Step step = run(passing, new Rules(1, 2, 2), FAIL, FAIL);

    assertThat(step).isEqualTo(new Tally.Step.Fix(new Tally(CheckState.PASSING, 0, 0, 1, "exit 1"), 2));
  }

  @Test
  void fixAttemptsUsedUp_turnFailing() {
    Tally.Step step = run(Tally.unknown(), new Rules(1, 1, 2), FAIL, FAIL, FAIL);

    assertThat(step).isEqualTo(new Tally.Step.Turn(new Tally(CheckState.FAILING, 0, 1, 2, "exit 1"), CheckState.UNKNOWN));
  }

  @Test
  void risePassesAfterAFix_endTheEpisode() {
    Rules rules = new Rules(2, 1, 3);
    Tally fixedOnce = run(Tally.unknown(), rules, PASS, PASS, FAIL).tally();
    assertThat(fixedOnce.fixesUsed()).isEqualTo(1);

    Tally.Step step = run(fixedOnce, rules, PASS, PASS);

    assertThat(step).isInstanceOf(Tally.Step.Stay.class);
    assertThat(step.tally().fixesUsed()).isZero();
  }

  @Test
  void countsAreCappedAtRiseAndFall() {
    Tally.Step step = run(Tally.unknown(), new Rules(2, 2, 0), PASS, PASS, PASS, PASS);

    assertThat(step.tally().passes()).isEqualTo(2);
  }

  private static Tally.Step run(Tally start, Rules rules, CheckOutcome... outcomes) {
    Tally.Step step = new Tally.Step.Stay(start);
    for (CheckOutcome outcome : outcomes) {
      step = step.tally().after(outcome, rules);
    }
    return step;
  }
}
