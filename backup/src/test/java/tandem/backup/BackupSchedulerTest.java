package tandem.backup;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tandem.config.BackupConfig;
import tandem.config.ConfigLoader;
import tandem.config.TandemConfig;
import tandem.core.Event;
import tandem.core.Level;

class BackupSchedulerTest {
  @TempDir Path dir;
  TandemConfig config;
  final List<Event> events = new CopyOnWriteArrayList<>();

  @BeforeEach
  void setUp() throws Exception {
    Path www = Files.createDirectories(dir.resolve("www"));
    Files.writeString(www.resolve("a.txt"), "alpha");
    Path pw = Files.writeString(dir.resolve("key"), "pw\n");
    Files.setPosixFilePermissions(pw, PosixFilePermissions.fromString("rw-------"));
    config = ConfigLoader.parse("""
        cluster: shop
        node: { name: n2, listen: 127.0.0.1:7400, api: 127.0.0.1:8400, data-dir: %s }
        groups:
          web:
            nodes: { n1: primary, n2: passive }
            resources:
              - files: { path: %s }
        backups:
          nightly:
            schedule: "* * * * *"
            groups: [web]
            repository: %s
            password-file: %s
            keep: { last: 2 }
        """.formatted(dir.resolve("data"), www, dir.resolve("repo"), pw), dir.resolve("tandem.yaml"));
  }

  @Test
  void runOn_replicaPrefersTheFirstHealthyReplica_elseThePrimary() {
    assertThat(BackupScheduler.runsHere(BackupConfig.RunOn.REPLICA, "n2", "n1", List.of("n3", "n2"))).isTrue();
    assertThat(BackupScheduler.runsHere(BackupConfig.RunOn.REPLICA, "n3", "n1", List.of("n3", "n2"))).isFalse();
    assertThat(BackupScheduler.runsHere(BackupConfig.RunOn.REPLICA, "n1", "n1", List.of("n3", "n2"))).isFalse();
    assertThat(BackupScheduler.runsHere(BackupConfig.RunOn.REPLICA, "n1", "n1", List.of())).as("no replica: the primary").isTrue();
    assertThat(BackupScheduler.runsHere(BackupConfig.RunOn.PRIMARY, "n2", "n1", List.of("n2"))).isFalse();
    assertThat(BackupScheduler.runsHere(BackupConfig.RunOn.PRIMARY, "n1", "n1", List.of("n2"))).isTrue();
  }

  @Test
  void databaseDumps_areNumberedAsTheAgentNumbersTheGroupsDatabases() throws Exception {
    // The agent numbers postgres and mariadb resources together (their secrets files are <group>-<n>.secrets):
    // a postgres after a mariadb is database 1, and its dumps must read db-1.secrets; the mariadb is database 0.
    TandemConfig both = ConfigLoader.parse("""
        cluster: shop
        node: { name: n2, listen: 127.0.0.1:7400, api: 127.0.0.1:8400, data-dir: %s }
        groups:
          db:
            nodes: { n1: primary, n2: passive }
            resources:
              - mariadb: { data: /var/lib/tandem-mysql }
              - postgres: { data: /var/lib/tandem-pg }
        backups:
          nightly: { schedule: "@daily", groups: [db], repository: %s, password-file: %s, keep: { last: 1 } }
        """.formatted(dir.resolve("data"), dir.resolve("repo"), dir.resolve("key")), dir.resolve("tandem.yaml"));
    assertThat(new BackupJobs(both, both.backups().get("nightly")).dumps())
        .extracting(Backup.DumpSource::label).containsExactly("mariadb-0", "postgres-1");
  }

  @Test
  void aRun_isAnEvent_andTheKeepRulesApply() throws IOException {
    BackupScheduler s = new BackupScheduler(config, "n2", b -> true, events::add, Clock.systemUTC());
    BackupConfig b = config.backups().get("nightly");
    for (int i = 0; i < 3; i++) {
      assertThat(s.runOnce(b).ok()).isTrue();
    }

    assertThat(events).filteredOn(e -> e.kind().equals("backup-done")).hasSize(3);
    assertThat(events.getLast().message()).contains("1 old snapshot(s) forgotten");
    assertThat(new BackupJobs(config, b).list()).hasSize(2);
    assertThat(s.status()).singleElement().satisfies(r -> assertThat(r.files()).isEqualTo(1));
  }

  @Test
  void aFailedRun_isACriticalEvent_namingTheCause() throws IOException {
    Files.delete(dir.resolve("key"));
    BackupScheduler s = new BackupScheduler(config, "n2", b -> true, events::add, Clock.systemUTC());

    assertThat(s.runOnce(config.backups().get("nightly")).ok()).isFalse();

    assertThat(events).singleElement().satisfies(e -> {
      assertThat(e.level()).isEqualTo(Level.CRITICAL);
      assertThat(e.kind()).isEqualTo("backup-failed");
      assertThat(e.message()).contains("password-file").contains("does not exist");
    });
  }

  @Test
  void aRunMissedWhileTheNodeWasDown_isAWarning_andIsTakenAtStart() throws Exception {
    Durable.write(dir.resolve("data/backups/nightly.last"), Instant.now().minusSeconds(3600).toString().getBytes());
    try (BackupScheduler s = new BackupScheduler(config, "n2", b -> true, events::add, Clock.systemUTC())) {
      s.start();
      org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(60))
          .until(() -> events.stream().anyMatch(e -> e.kind().equals("backup-done")));
    }
    assertThat(events.getFirst().kind()).isEqualTo("backup-missed");
    assertThat(events.getFirst().level()).isEqualTo(Level.WARNING);
  }

  @Test
  void aNodeThatIsNotDesignated_takesNoBackup() throws Exception {
    Durable.write(dir.resolve("data/backups/nightly.last"), Instant.now().minusSeconds(3600).toString().getBytes());
    BackupScheduler s = new BackupScheduler(config, "n2", b -> false, events::add, Clock.systemUTC());
    s.start();
    assertThat(s.caughtUp.await(30, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
    s.close();
    assertThat(events).isEmpty();
    assertThat(dir.resolve("repo")).doesNotExist();
  }

  @Test
  void aRequestedRun_isTakenOnItsOwnThread_showsWhatItDid_andIsRecordedButForgetsNothing() throws Exception {
    // keep: { last: 2 }: a scheduled run would forget the oldest of three; a requested one, like the command, does not.
    BackupScheduler s = new BackupScheduler(config, "n2", b -> false, events::add, Clock.systemUTC());
    Object previous = null;
    for (int i = 1; i <= 3; i++) {
      Files.writeString(dir.resolve("www/a.txt"), "alpha " + i);
      BackupScheduler.Requested r = s.request("nightly", false);
      assertThat(r.awaitEnd(java.time.Duration.ofSeconds(30))).as("run %d ended", i).isTrue();
      var v = r.view();
      assertThat(v).containsEntry("running", false).containsEntry("ok", true).containsEntry("files", 1L)
          .containsEntry("bytes", (long) ("alpha " + i).length()).containsKeys("snapshot", "stored", "seconds");
      assertThat(v.get("parent")).as("run %d's parent", i).isEqualTo(previous);
      previous = v.get("snapshot");
      assertThat(s.requested(r.id())).containsSame(r);
    }
    assertThat(new BackupJobs(config, config.backups().get("nightly")).list()).hasSize(3);
    assertThat(s.totals().getFirst().succeeded()).isEqualTo(3);
    assertThat(events).extracting(Event::kind).containsExactly("backup-done", "backup-done", "backup-done");
    assertThat(events.getFirst().message()).startsWith("backup nightly (asked by tandem backup run): snapshot ")
        .doesNotContain("forgotten");
    assertThat(s.requested("no-such-run")).isEmpty();
  }

  @Test
  void aRequestedRun_ofAnUnknownBackup_isRefused_andOneThatFails_saysWhy() throws Exception {
    BackupScheduler s = new BackupScheduler(config, "n2", b -> true, events::add, Clock.systemUTC());
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> s.request("weekly", false))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("no backup 'weekly'")
        .hasMessageContaining("[nightly]").hasMessageContaining("--local");
    Files.setPosixFilePermissions(dir.resolve("key"), PosixFilePermissions.fromString("rw-r--r--"));
    BackupScheduler.Requested r = s.request("nightly", false);
    assertThat(r.awaitEnd(java.time.Duration.ofSeconds(30))).isTrue();
    assertThat(r.view()).containsEntry("ok", false).containsEntry("running", false).doesNotContainKey("snapshot");
    assertThat((String) r.view().get("error")).contains("readable by every user");
    assertThat(events).singleElement().satisfies(e -> {
      assertThat(e.kind()).isEqualTo("backup-failed");
      assertThat(e.level()).as("the operator who asked sees it").isEqualTo(Level.WARNING);
    });
    assertThat(s.totals().getFirst().failed()).isEqualTo(1);
    assertThat(dir.resolve("repo")).doesNotExist();
  }
}
