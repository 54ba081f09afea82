package tandem.health;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import tandem.config.CheckTarget;

class CommandCheckTest {
  private static final Duration TIMEOUT = Duration.ofSeconds(10);

  @Test
  void exitZero_passes() throws Exception {
    assertThat(command("true").run(TIMEOUT)).isEqualTo(CheckOutcome.pass("exit 0"));
  }

  @Test
  void exitThree_failsWithTheExitCode() throws Exception {
    assertThat(command("sh -c 'exit 3'").run(TIMEOUT)).isEqualTo(CheckOutcome.fail("exit 3"));
  }

  @Test
  void failureOutput_endsUpInTheDetail() throws Exception {
    assertThat(command("echo 'no response'; exit 1").run(TIMEOUT)).isEqualTo(CheckOutcome.fail("exit 1: no response"));
  }

  @Test
  void commandOutlivingTheTimeout_failsAsTimeoutWithoutWaitingForIt() throws Exception {
    long start = System.nanoTime();

    CheckOutcome outcome = command("sleep 60").run(Duration.ofMillis(300));

    assertThat(outcome.passed()).isFalse();
    assertThat(outcome.detail()).startsWith("killed after").endsWith("(timeout)");
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(10));
  }

  @Test
  void theCommandSeesTheNodeAndGroup_likeTheServiceCommands() throws Exception {
    HealthCheck check = HealthChecks.of(new CheckTarget.Command("test \"$TANDEM_NODE/$TANDEM_GROUP\" = n2/web"),
        java.util.Map.of("TANDEM_NODE", "n2", "TANDEM_GROUP", "web"));

    assertThat(check.run(TIMEOUT)).isEqualTo(CheckOutcome.pass("exit 0"));
    assertThat(command("test -n \"$TANDEM_NODE\"").run(TIMEOUT).passed()).as("without the agent's variables").isFalse();
  }

  @Test
  void describe_quotesTheCommand() {
    assertThat(command("pg_isready -q").describe()).isEqualTo("command 'pg_isready -q'");
  }

  private static HealthCheck command(String line) {
    return HealthChecks.of(new CheckTarget.Command(line));
  }
}
