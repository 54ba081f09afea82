package tandem.health;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tandem.config.CheckTarget;

class ProcessCheckTest {
  private static final Duration TIMEOUT = Duration.ofSeconds(2);

  @TempDir Path dir;
  private Process sleeper;
  private Path pidfile;

  @BeforeEach
  void startSleeper() throws Exception {
    sleeper = new ProcessBuilder("sleep", "60").start();
    pidfile = dir.resolve("sleep.pid");
    Files.writeString(pidfile, sleeper.pid() + "\n");
  }

  @AfterEach
  void killSleeper() throws Exception {
    sleeper.destroyForcibly();
    sleeper.waitFor();
  }

  @Test
  void livePidInPidfile_passes() throws Exception {
    CheckOutcome outcome = byPidfile(pidfile).run(TIMEOUT);

    assertThat(outcome).isEqualTo(CheckOutcome.pass("pid " + sleeper.pid() + " from " + pidfile + " is running"));
  }

  @Test
  void deadPidInPidfile_fails() throws Exception {
    sleeper.destroyForcibly();
    sleeper.waitFor();

    CheckOutcome outcome = byPidfile(pidfile).run(TIMEOUT);

    assertThat(outcome).isEqualTo(CheckOutcome.fail("pid " + sleeper.pid() + " from " + pidfile + " is not running"));
  }

  @Test
  void missingPidfile_fails() throws Exception {
    Path missing = dir.resolve("missing.pid");

    assertThat(byPidfile(missing).run(TIMEOUT)).isEqualTo(CheckOutcome.fail("pidfile " + missing + " does not exist"));
  }

  @Test
  void pidfileWithoutAPid_fails() throws Exception {
    Files.writeString(pidfile, "not-a-pid");

    assertThat(byPidfile(pidfile).run(TIMEOUT))
        .isEqualTo(CheckOutcome.fail("pidfile " + pidfile + " holds 'not-a-pid', not a pid"));
  }

  @Test
  void liveProcessName_passes() throws Exception {
    CheckOutcome outcome = byName("sleep").run(TIMEOUT);

    assertThat(outcome.passed()).isTrue();
    assertThat(outcome.detail()).startsWith("process 'sleep' is running (pid ");
  }

  @Test
  void unknownProcessName_fails() throws Exception {
    assertThat(byName("tandem-no-such-process").run(TIMEOUT))
        .isEqualTo(CheckOutcome.fail("no process named 'tandem-no-such-process' is running"));
  }

  private static HealthCheck byPidfile(Path file) {
    return HealthChecks.of(new CheckTarget.Process(Optional.of(file), Optional.empty()));
  }

  private static HealthCheck byName(String name) {
    return HealthChecks.of(new CheckTarget.Process(Optional.empty(), Optional.of(name)));
  }
}
