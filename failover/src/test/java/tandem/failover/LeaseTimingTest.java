package tandem.failover;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import tandem.config.FailoverSettings;

class LeaseTimingTest {
  /** check-config warns from FailoverSettings.fenceWindow(); it must be the window this arithmetic really leaves. */
  @Test
  void fenceWindowOfTheConfig_isFromTheWatchdogsFenceToTheEarliestPromotion() {
    for (FailoverSettings f : new FailoverSettings[] {FailoverSettings.DEFAULTS,
        new FailoverSettings(Duration.ofSeconds(10), Duration.ofSeconds(1), Duration.ofMillis(500)),
        new FailoverSettings(Duration.ofMillis(1234), Duration.ofMillis(300), Duration.ZERO)}) {
      LeaseTiming t = new LeaseTiming(f.lease(), f.renewInterval(), f.promoteMargin());
      Duration watchdogFences = f.lease().minus(t.watchdogLead());

      assertThat(f.fenceWindow()).as(f.toString()).isEqualTo(t.promoteAfter().minus(watchdogFences));
    }
  }
}
