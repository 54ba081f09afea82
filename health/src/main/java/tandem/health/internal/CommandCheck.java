package tandem.health.internal;

import java.time.Duration;
import java.util.Map;
import tandem.core.Shell;
import tandem.health.CheckOutcome;
import tandem.health.HealthCheck;

/** A check that an operator's command line exits 0 within the timeout. */
public final class CommandCheck implements HealthCheck {
  private final String command;
  private final Map<String, String> env;

  public CommandCheck(String command) {
    this(command, Map.of());
  }

  /** A check whose command runs with {@code env} added to the agent's environment (TANDEM_NODE, TANDEM_GROUP). */
  public CommandCheck(String command, Map<String, String> env) {
    this.command = command;
    this.env = Map.copyOf(env);
  }

  @Override
  public String describe() {
    return "command '" + command + "'";
  }

  @Override
  public CheckOutcome run(Duration timeout) throws InterruptedException {
    Shell.Result result = Shell.run(command, env, timeout);
    return new CheckOutcome(result.ok(), result.summary());
  }
}
