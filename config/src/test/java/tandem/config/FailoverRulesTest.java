package tandem.config;

import static org.assertj.core.api.Assertions.assertThat;
import static tandem.config.ConfigFixtures.MINIMAL;
import static tandem.config.ConfigFixtures.problemOf;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class FailoverRulesTest {

  private static String failover(String lines) {
    return MINIMAL + "failover:\n" + lines.stripIndent().lines().map(l -> "  " + l + "\n").reduce("", String::concat);
  }

  @Test
  void badDuration_usesTheDurationParsersMessage() {
    assertThat(problemOf(failover("lease: two seconds"))).isEqualTo(new ConfigProblem("failover.lease",
        "'two seconds' is not a duration: write e.g. 500ms, 2s, 1m30s, 1h, 14d"));
  }

  @Test
  void leaseShorterThanThreeRenewals_isRejectedNotClamped() {
    assertThat(problemOf(failover("lease: 1s"))).isEqualTo(new ConfigProblem("failover.lease",
        "1s is shorter than 3 x renew-interval (400ms), so a primary could lose its lease after two slow renewals; "
            + "make lease at least 1.2s or renew-interval at most 333ms"));
  }

  @Test
  void leaseOfExactlyThreeRenewals_isFine() throws ConfigException {
    TandemConfig c = ConfigFixtures.load(failover("lease: 1200ms"));

    assertThat(c.failover().lease()).isEqualTo(Duration.ofMillis(1200));
  }

  @Test
  void promoteMarginAsLongAsTheLease_isRejected() {
    assertThat(problemOf(failover("promote-margin: 2s"))).isEqualTo(new ConfigProblem("failover.promote-margin",
        "2s must be shorter than lease (2s): it is the allowance for clock drift added after a lease lapses, "
            + "e.g. 300ms"));
  }

  @Test
  void zeroPromoteMargin_isAllowed() throws ConfigException {
    assertThat(ConfigFixtures.load(failover("promote-margin: 0ms")).failover().promoteMargin()).isZero();
  }

  @Test
  void zeroRenewInterval_isRejected() {
    assertThat(problemOf(failover("renew-interval: 0s")))
        .isEqualTo(new ConfigProblem("failover.renew-interval", "must be more than 0, e.g. 400ms"));
  }

  @Test
  void failoverGivenAsList_saysAMapWasExpected() {
    assertThat(problemOf(MINIMAL + "failover: [2s]\n")).isEqualTo(new ConfigProblem("failover",
        "expected a map with the keys lease, renew-interval, promote-margin, but found a list"));
  }

  @Test
  void emptyFailoverSection_usesTheDefaults() throws ConfigException {
    assertThat(ConfigFixtures.load(MINIMAL + "failover:\n").failover()).isEqualTo(FailoverSettings.DEFAULTS);
  }
}
