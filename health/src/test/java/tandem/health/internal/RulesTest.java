package tandem.health.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import tandem.config.CheckConfig;
import tandem.config.CheckScope;
import tandem.config.CheckTarget;

class RulesTest {
  @Test
  void checkWithoutFix_getsNoFixAttempts() {
    assertThat(Rules.of(config(Optional.empty(), 3))).isEqualTo(new Rules(2, 3, 0));
  }

  @Test
  void checkWithFix_keepsItsAttempts() {
    assertThat(Rules.of(config(Optional.of("systemctl restart nginx"), 3))).isEqualTo(new Rules(2, 3, 3));
  }

  @Test
  void riseOfZero_isRejected() {
    assertThatThrownBy(() -> new Rules(0, 1, 0)).hasMessageContaining("rise=0");
  }

  private static CheckConfig config(Optional<String> fix, int fixAttempts) {
    return new CheckConfig("web", new CheckTarget.Command("true"), CheckScope.SERVICE, Duration.ofSeconds(1),
        Duration.ofSeconds(1), 3, 2, 0, false, fix, fixAttempts);
  }
}
