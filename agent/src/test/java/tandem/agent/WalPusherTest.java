package tandem.agent;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tandem.backup.BackupJobs;
import tandem.config.ConfigLoader;
import tandem.config.PostgresConfig;
import tandem.config.TandemConfig;
import tandem.core.Event;
import tandem.core.Level;
import tandem.db.postgres.WalArchive;

/** The agent's side of pitr: on: its servers archive into the spool, and it pushes the spool into the repository. */
class WalPusherTest {
  @TempDir Path dir;

  TandemConfig config(boolean pitr) throws Exception {
    return ConfigLoader.parse(yaml(pitr), dir.resolve("tandem.yaml"));
  }

  String yaml(boolean pitr) {
    return """
        cluster: shop
        node: { name: n1, listen: 127.0.0.1:7400, api: 127.0.0.1:8400, data-dir: %s }
        groups:
          db:
            nodes: { n1: primary }
            resources:
              - postgres: { data: %s, parameters: { archive_timeout: 30s } }
          other:
            nodes: { n1: primary }
            resources:
              - postgres: { data: %s, port: 5433 }
        backups:
          nightly: { schedule: daily, groups: [db], repository: %s, password-file: %s, keep: { last: 2 }, pitr: %s }
        """.formatted(dir.resolve("data"), dir.resolve("pg"), dir.resolve("pg2"), dir.resolve("repo"), dir.resolve("key"),
        pitr ? "on" : "off");
  }

  @Test
  void aGroupOfAPitrBackup_archivesIntoTheSpool_keepingTheUsersParameters_andOtherGroupsDoNot() throws Exception {
    TandemConfig c = config(true);
    var db = (PostgresConfig) c.groups().get("db").resources().getFirst();
    var other = (PostgresConfig) c.groups().get("other").resources().getFirst();
    assertThat(WalPusher.serverParameters(c, "db", db)).containsEntry("archive_mode", "always").containsEntry("archive_timeout", "30s")
        .extractingByKey("archive_command").asString().contains(WalArchive.script(dir.resolve("pg")).toString());
    assertThat(WalPusher.serverParameters(c, "other", other)).doesNotContainKey("archive_mode");
    TandemConfig otherArchived = ConfigLoader.parse(yaml(true).replace("groups: [db]",
        "groups: [db, other]"), dir.resolve("tandem.yaml"));
    assertThat(WalPusher.serverParameters(otherArchived, "other", other)).containsEntry("archive_timeout", "60s");
    assertThat(WalPusher.serverParameters(config(false), "db", db)).doesNotContainKey("archive_command");
    assertThat(WalPusher.needed(config(false))).isFalse();
  }

  @Test
  void aFailingPush_isOneCriticalEvent_untilItWorksAgain_thenTheSpoolIsEmptied() throws Exception {
    TandemConfig c = config(true);
    Path spool = Files.createDirectories(WalArchive.spool(dir.resolve("pg")));
    Files.write(spool.resolve("000000010000000000000003"), new byte[16 << 10]);
    Files.writeString(spool.resolve(WalArchive.PARTIAL + "000000010000000000000004"), "still being copied");
    List<Event> events = new ArrayList<>();
    WalPusher pusher = new WalPusher(c, (level, kind, group, message) -> events.add(new Event(java.time.Instant.now(), level,
        kind, "n1", group, message)));

    pusher.pushOnce(); // no password file yet
    pusher.pushOnce();
    assertThat(events).singleElement().satisfies(e -> {
      assertThat(e.level()).isEqualTo(Level.CRITICAL);
      assertThat(e.kind()).isEqualTo("wal-push-failed");
      assertThat(e.message()).contains("password-file").contains("point-in-time recovery stops advancing");
    });
    assertThat(spool.resolve("000000010000000000000003")).as("nothing is lost while pushing fails").exists();

    Path key = Files.writeString(dir.resolve("key"), "pw\n");
    Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("rw-------"));
    pusher.pushOnce();
    assertThat(events).hasSize(2).last().extracting(Event::kind).isEqualTo("wal-push-recovered");
    assertThat(WalArchive.waiting(spool)).isEmpty();
    assertThat(spool.resolve(WalArchive.PARTIAL + "000000010000000000000004")).as("a file still being copied waits").exists();
    BackupJobs jobs = new BackupJobs(c, c.backups().get("nightly"));
    assertThat(jobs.archivedWal()).singleElement().satisfies(w -> {
      assertThat(w.group()).isEqualTo("db");
      assertThat(w.files()).isEqualTo(1);
      assertThat(w.bytes()).isEqualTo(16 << 10);
    });
    assertThat(jobs.list()).as("archived WAL is not a backup").isEmpty();
    pusher.close();
  }
}
