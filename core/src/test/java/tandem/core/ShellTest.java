package tandem.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Operators' command lines run with sh -c: exit codes, output kept for messages, and timeouts that leave nothing behind. */
class ShellTest {
  static final Duration LONG = Duration.ofSeconds(10);

  @TempDir
  Path dir;

  /** Pids written by the commands under test; killed after each test if a test failed to. */
  Path pidFile;

  @AfterEach
  void killLeftovers() throws IOException {
    for (long pid : pids()) {
      ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
    }
  }

  List<Long> pids() throws IOException {
    if (pidFile == null || !Files.exists(pidFile)) {
      return List.of();
    }
    return Files.readAllLines(pidFile).stream().filter(s -> !s.isBlank()).map(s -> Long.parseLong(s.trim())).toList();
  }

  /** True while {@code pid} exists and is not a zombie waiting to be reaped. */
  static boolean running(long pid) {
    try {
      String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
      char state = stat.charAt(stat.lastIndexOf(')') + 2);
      return state != 'Z' && state != 'X';
    } catch (IOException e) {
      return false;
    }
  }

  @Test
  void successfulCommand_isOkWithExitZero() throws Exception {
    Shell.Result r = Shell.run("true", Map.of(), LONG);

    assertThat(r.ok()).isTrue();
    assertThat(r.exitCode()).isZero();
    assertThat(r.timedOut()).isFalse();
    assertThat(r.summary()).isEqualTo("exit 0");
  }

  @Test
  void failingCommand_reportsItsExitCodeAndLastLine() throws Exception {
    Shell.Result r = Shell.run("echo starting; echo 'port 80 in use' >&2; exit 3", Map.of(), LONG);

    assertThat(r.ok()).isFalse();
    assertThat(r.exitCode()).isEqualTo(3);
    assertThat(r.output()).isEqualTo("starting\nport 80 in use\n");
    assertThat(r.summary()).isEqualTo("exit 3: port 80 in use");
  }

  @Test
  void unknownCommand_exits127NamingIt() throws Exception {
    Shell.Result r = Shell.run("no-such-command-tandem", Map.of(), LONG);

    assertThat(r.exitCode()).isEqualTo(127);
    assertThat(r.summary()).contains("no-such-command-tandem");
  }

  @Test
  void environment_reachesTheCommand() throws Exception {
    Shell.Result r = Shell.run("printf %s \"$TANDEM_GROUP\"", Map.of("TANDEM_GROUP", "web"), LONG);

    assertThat(r.output()).isEqualTo("web");
  }

  @Test
  void longOutput_keepsOnlyTheLast4KiB() throws Exception {
    // 2000 lines "line-0000".."line-1999", 10 bytes each.
    Shell.Result r = Shell.run("i=0; while [ $i -lt 2000 ]; do printf 'line-%04d\\n' $i; i=$((i+1)); done",
        Map.of(), LONG);

    assertThat(r.output()).hasSize(4096).endsWith("line-1999\n");
    assertThat(r.output()).doesNotContain("line-0000");
    assertThat(r.summary()).isEqualTo("exit 0: line-1999");
  }

  @Test
  void veryLongLastLine_isShortenedInTheSummary() throws Exception {
    Shell.Result r = Shell.run("printf 'x%.0s' $(seq 300); exit 1", Map.of(), LONG);

    assertThat(r.summary()).isEqualTo("exit 1: " + "x".repeat(200) + "...");
  }

  @Test
  void commandPastItsTimeout_isKilledWithItsWholeProcessTree() throws Exception {
    pidFile = dir.resolve("pids");
    String cmd = "echo $$ >> '" + pidFile + "'; sleep 100 & echo $! >> '" + pidFile + "'; "
        + "sleep 100 & echo $! >> '" + pidFile + "'; echo started; wait";

    Shell.Result r = Shell.run(cmd, Map.of(), Duration.ofMillis(500));

    assertThat(r.timedOut()).isTrue();
    assertThat(r.ok()).isFalse();
    assertThat(r.exitCode()).isEqualTo(-1);
    assertThat(r.output()).isEqualTo("started\n");
    assertThat(r.summary()).startsWith("killed after").endsWith("(timeout)");
    assertThat(r.took()).isBetween(Duration.ofMillis(500), Duration.ofSeconds(5));
    List<Long> pids = pids();
    assertThat(pids).hasSize(3);
    await().atMost(Duration.ofSeconds(5)).untilAsserted(() ->
        assertThat(pids).as("sh and both sleeps are gone").noneMatch(ShellTest::running));
  }

  @Test
  void commandPastItsTimeout_foregroundChildIsKilledToo() throws Exception {
    pidFile = dir.resolve("pids");
    // Child of a child: sh -> sh -> sleep.
    String cmd = "sh -c 'echo $$ >> \"" + pidFile + "\"; sleep 100 & echo $! >> \"" + pidFile + "\"; wait'";

    Shell.Result r = Shell.run(cmd, Map.of(), Duration.ofMillis(500));

    assertThat(r.timedOut()).isTrue();
    List<Long> pids = pids();
    assertThat(pids).hasSize(2);
    await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(pids).noneMatch(ShellTest::running));
  }
}
