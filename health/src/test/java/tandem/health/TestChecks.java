package tandem.health;

import java.time.Duration;
import java.util.Optional;
import tandem.config.CheckConfig;
import tandem.config.CheckScope;
import tandem.config.CheckTarget;

/** Check configurations for tests: command checks every 50ms, changed one field at a time. */
final class TestChecks {
  static final Duration INTERVAL = Duration.ofMillis(50);

  private TestChecks() {}

  static CheckConfig command(String name, String command, int rise, int fall) {
    return new CheckConfig(name, new CheckTarget.Command(command), CheckScope.SERVICE, INTERVAL,
        Duration.ofSeconds(5), fall, rise, 0, false, Optional.empty(), 0);
  }

  static CheckConfig withFix(CheckConfig c, String fix, int attempts) {
    return new CheckConfig(c.name(), c.target(), c.on(), c.interval(), c.timeout(), c.fall(), c.rise(), c.weight(),
        c.critical(), Optional.of(fix), attempts);
  }

  static CheckConfig withWeight(CheckConfig c, int weight, boolean critical) {
    return new CheckConfig(c.name(), c.target(), c.on(), c.interval(), c.timeout(), c.fall(), c.rise(), weight,
        critical, c.fix(), c.fixAttempts());
  }

  static CheckConfig withTimeout(CheckConfig c, Duration timeout) {
    return new CheckConfig(c.name(), c.target(), c.on(), c.interval(), timeout, c.fall(), c.rise(), c.weight(),
        c.critical(), c.fix(), c.fixAttempts());
  }
}
