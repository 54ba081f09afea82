package tandem.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import tandem.it.harness.OwnedCluster;
import tandem.it.harness.TestCluster;

/**
 * `tandem backup run` on a node whose agent runs: the agent takes the backup (the command follows it and prints its
 * outcome), the run is an event and a metric like a scheduled one, `--local` takes it in the command's own process,
 * and a backup the agent has not read, or a run that fails, is a clear error that names the fix.
 */
class BackupByAgentTest {
  @RegisterExtension final OwnedCluster owned = new OwnedCluster();

  @Test
  void backupRun_isTakenByTheRunningAgent_andLocalOrWithoutAgentInTheCommand() throws Exception {
    TestCluster c = owned.own(TestCluster.create(TestCluster.runDir(getClass(), "byAgent"), List.of("n1"), null));
    c.initAll();
    TestCluster.Node n1 = c.node("n1");
    Files.createDirectories(n1.files().resolve("docs"));
    for (int i = 0; i < 50; i++) {
      Files.writeString(n1.files().resolve("docs/f" + i + ".txt"), ("file " + i + "\n").repeat(100 + i));
    }
    Path key = c.dir().resolve("backup.key");
    Files.writeString(key, "a long random password\n");
    Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("rw-------"));
    Path repo = c.dir().resolve("repo");
    Files.writeString(n1.config(), "groups:\n  web:\n    nodes: { n1: primary }\n    resources:\n      - files: { path: \""
        + n1.files() + "\" }\nbackups:\n  nightly: { schedule: \"0 3 * * *\", groups: [web], repository: \"" + repo
        + "\", password-file: \"" + key + "\", keep: { last: 5 } }\n", StandardOpenOption.APPEND);
    c.startAll();

    TestCluster.CliResult first = c.cli("n1", "backup", "run");
    assertThat(first.exitCode()).as(first.output()).isZero();
    assertThat(first.output()).contains("of nightly: 50 files").contains("taken by this node's agent");
    assertThat(c.hasEvent("n1", "backup-done", "backup nightly (asked by tandem backup run): snapshot")).as("events").isTrue();
    assertThat(c.metrics("n1")).contains("tandem_backup_runs_total{backup=\"nightly\",result=\"success\"} 1.0");

    Files.writeString(n1.files().resolve("docs/f7.txt"), "changed\n");
    TestCluster.CliResult second = c.cli("n1", "backup", "run");
    assertThat(second.exitCode()).as(second.output()).isZero();
    assertThat(second.output()).contains("49 of 50 files unchanged since snapshot").contains("taken by this node's agent");

    TestCluster.CliResult local = c.cli("n1", "backup", "run", "--local");
    assertThat(local.exitCode()).as(local.output()).isZero();
    assertThat(local.output()).contains("50 of 50 files unchanged").doesNotContain("taken by");
    assertThat(c.metrics("n1")).as("a run in the command's process is not the agent's")
        .contains("tandem_backup_runs_total{backup=\"nightly\",result=\"success\"} 2.0");

    // A backup added to tandem.yaml after the agent started: the agent has not read it.
    Files.writeString(n1.config(), "  weekly: { schedule: \"0 4 * * 0\", groups: [web], repository: \"" + c.dir().resolve("repo2")
        + "\", password-file: \"" + key + "\", keep: { last: 5 } }\n", StandardOpenOption.APPEND);
    TestCluster.CliResult unknown = c.cli("n1", "backup", "run", "-b", "weekly");
    assertThat(unknown.exitCode()).as(unknown.output()).isEqualTo(1);
    assertThat(unknown.output()).contains("the running agent has no backup 'weekly'").contains("tandem backup run --local");
    assertThat(c.dir().resolve("repo2")).doesNotExist();

    // A run that fails in the agent: the command says why and exits non-zero; the event is there too.
    Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("rw-r--r--"));
    TestCluster.CliResult failed = c.cli("n1", "backup", "run", "-b", "nightly");
    assertThat(failed.exitCode()).as(failed.output()).isEqualTo(1);
    assertThat(failed.output()).contains("readable by every user").contains("the previous snapshots are intact");
    assertThat(c.hasEvent("n1", "backup-failed", "asked by tandem backup run")).isTrue();
    Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("rw-------"));

    // Without a running agent the command takes the backup itself.
    c.terminate("n1");
    await("n1's agent is gone").atMost(Duration.ofSeconds(30)).until(() -> !c.isAlive("n1"));
    TestCluster.CliResult alone = c.cli("n1", "backup", "run", "-b", "nightly");
    assertThat(alone.exitCode()).as(alone.output()).isZero();
    assertThat(alone.output()).contains("of nightly: 50 files").doesNotContain("taken by");
    TestCluster.CliResult list = c.cli("n1", "backup", "list", "-b", "nightly");
    assertThat(list.output()).contains("4 snapshot(s)");
  }
}
