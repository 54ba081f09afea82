package tandem.health.internal;

import java.time.Duration;
import java.util.Map;
import tandem.core.Shell;
import tandem.health.CheckOutcome;
import tandem.health.HealthCheck;

/** A check that an operator's command line exits 0 within the timeout. */
public final class CommandCheck implements HealthCheck {
  private final String command;

  public CommandCheck(String command) {
    this.command = command;
  }

  @Override
  public String describe() {
    return "command '" + command + "'";
  }

  @Override
  public CheckOutcome run(Duration timeout) throws InterruptedException {
    Shell.Result result = Shell.run(command, Map.of(), timeout);
    return new CheckOutcome(result.ok(), result.summary());
  }
}
