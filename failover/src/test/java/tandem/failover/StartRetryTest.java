package tandem.failover;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import tandem.testkit.FakeTicker;

class StartRetryTest {
  @Test
  void backoff_startsAt5s_doubles_andStopsGrowingAt5min() {
    List<Duration> waits = new ArrayList<>();
    for (int failures = 1; failures <= 9; failures++) {
      waits.add(StartRetry.delay(failures, StartRetry.FIRST, StartRetry.MAX));
    }

    assertThat(waits).extracting(Duration::toSeconds).containsExactly(5L, 10L, 20L, 40L, 80L, 160L, 300L, 300L, 300L);
  }

  @Test
  void hugeFailureCount_doesNotOverflow() {
    assertThat(StartRetry.delay(10_000, StartRetry.FIRST, StartRetry.MAX)).isEqualTo(StartRetry.MAX);
  }

  @Test
  void retry_isDueOnlyOnceItsWaitHasPassed_onTheGivenClock() {
    FakeTicker clock = new FakeTicker();
    StartRetry r = StartRetry.after(3, 2, clock.nanos(), StartRetry.FIRST, StartRetry.MAX);

    assertThat(r.due(clock.nanos())).isFalse();
    assertThat(r.due(clock.advance(Duration.ofMillis(9_999)).nanos())).isFalse();
    assertThat(r.due(clock.advance(Duration.ofMillis(1)).nanos())).as("10 s after the second failure").isTrue();
  }

  @Test
  void retry_coversOnlyTheFailureItWasMadeFor() {
    StartRetry r = StartRetry.after(3, 2, 0, StartRetry.FIRST, StartRetry.MAX);

    assertThat(r.covers(3, 2)).isTrue();
    assertThat(r.covers(3, 3)).as("the retry failed too: a new, longer wait").isFalse();
    assertThat(r.covers(4, 2)).as("a new epoch counts again").isFalse();
  }
}
