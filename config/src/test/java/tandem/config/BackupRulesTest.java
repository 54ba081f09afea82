package tandem.config;

import static org.assertj.core.api.Assertions.assertThat;
import static tandem.config.ConfigFixtures.load;
import static tandem.config.ConfigFixtures.problemOf;
import static tandem.config.ConfigFixtures.withGroup;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class BackupRulesTest {
  private static String withBackup(String body) {
    return withGroup("nodes: { n1: primary }\nresources:\n  - files: { path: /var/www/uploads }") + "backups:\n  nightly:\n"
        + body.stripIndent().lines().map(l -> "    " + l + "\n").reduce("", String::concat);
  }

  @Test
  void fullBackup_readsEveryKey() throws Exception {
    TandemConfig c = load(withBackup("""
        schedule: "30 2 * * *"
        groups: [web]
        repository: /backups/tandem
        password-file: /etc/tandem/backup.key
        keep: { last: 3, hourly: 24, daily: 7, weekly: 4, monthly: 12 }
        run-on: primary
        copy-to: [/mnt/offsite/tandem]
        """));
    assertThat(c.backups().get("nightly")).isEqualTo(new BackupConfig("nightly", "30 2 * * *", List.of("web"),
        Path.of("/backups/tandem"), Path.of("/etc/tandem/backup.key"), new BackupConfig.Keep(3, 24, 7, 4, 12, 0),
        BackupConfig.RunOn.PRIMARY, List.of(Path.of("/mnt/offsite/tandem"))));
  }

  @Test
  void shorthandSchedule_becomesCron_andRunOnDefaultsToReplica() throws Exception {
    BackupConfig b = load(withBackup("""
        schedule: daily
        groups: [web]
        repository: /backups/tandem
        password-file: backup.key
        keep: { daily: 7 }
        """)).backups().get("nightly");
    assertThat(b.schedule()).isEqualTo("0 0 * * *");
    assertThat(b.runOn()).isEqualTo(BackupConfig.RunOn.REPLICA);
    assertThat(b.passwordFile()).isEqualTo(Path.of("/etc/tandem/backup.key"));
  }

  @Test
  void badCron_namesTheKeyAndTheFormat() {
    ConfigProblem p = problemOf(withBackup("""
        schedule: "99 3 * * *"
        groups: [web]
        repository: /backups/tandem
        password-file: /k
        keep: { daily: 7 }
        """));
    assertThat(p.path()).isEqualTo("backups.nightly.schedule");
    assertThat(p.message()).contains("'99 3 * * *' is not a cron expression").contains("minute hour day-of-month");
  }

  private static String pgBackups(String parameters, String backups) {
    return withGroup("nodes: { n1: primary }\nresources:\n  - postgres: { data: /var/lib/tandem/pg" + parameters + " }")
        + "backups:\n" + backups.stripIndent().lines().map(l -> "  " + l + "\n").reduce("", String::concat);
  }

  @Test
  void pitr_isOffByDefault_andOnForAGroupWithPostgres() throws Exception {
    String b = "nightly: { schedule: daily, groups: [web], repository: /r, password-file: /k, keep: { last: 1 }%s }";
    assertThat(load(pgBackups("", b.formatted(""))).backups().get("nightly").pitr()).isFalse();
    BackupConfig on = load(pgBackups("", b.formatted(", pitr: on"))).backups().get("nightly");
    assertThat(on.pitr()).isTrue();
    assertThat(on.walName()).isEqualTo("nightly/wal");
    ConfigProblem bad = problemOf(pgBackups("", b.formatted(", pitr: sometimes")));
    assertThat(bad.path()).isEqualTo("backups.nightly.pitr");
    assertThat(bad.message()).contains("'sometimes' is neither on nor off");
  }

  @Test
  void pitr_withoutPostgres_orWithTheUsersOwnArchiving_orInTwoBackups_isRefused() {
    ConfigProblem noPg = problemOf(withBackup("""
        schedule: daily
        groups: [web]
        repository: /backups/tandem
        password-file: /k
        keep: { daily: 7 }
        pitr: on
        """));
    assertThat(noPg.message()).contains("group web has no postgres resource");
    ConfigProblem own = problemOf(pgBackups(", parameters: { archive_command: 'pgbackrest archive-push %p' }",
        "nightly: { schedule: daily, groups: [web], repository: /r, password-file: /k, keep: { last: 1 }, pitr: on }"));
    assertThat(own.message()).contains("sets archive_command").contains("remove archive_command");
    ConfigProblem twice = problemOf(pgBackups("", """
        nightly: { schedule: daily, groups: [web], repository: /r, password-file: /k, keep: { last: 1 }, pitr: on }
        hourly: { schedule: hourly, groups: [web], repository: /r2, password-file: /k, keep: { last: 1 }, pitr: on }
        """));
    assertThat(twice.message()).contains("group web is in backups nightly and hourly, both with pitr: on");
  }

  @Test
  void unknownGroup_isNamed() {
    ConfigProblem p = problemOf(withBackup("""
        schedule: daily
        groups: [shop]
        repository: /backups/tandem
        password-file: /k
        keep: { daily: 7 }
        """));
    assertThat(p.path()).isEqualTo("backups.nightly.groups[0]");
    assertThat(p.message()).isEqualTo("'shop' is not a group of this file; groups here: web");
  }

  @Test
  void s3Repositories_areRead_withTheCredentialsFile() throws Exception {
    BackupConfig b = load(withBackup("""
        schedule: daily
        groups: [web]
        repository: s3:http://127.0.0.1:9000/backups/tandem/
        password-file: /k
        keep: { daily: 7 }
        copy-to: [/mnt/offsite, s3://offsite-bucket]
        s3-credentials-file: /etc/tandem/s3.credentials
        """)).backups().get("nightly");
    assertThat(b.repository()).isEqualTo(new RepositoryLocation.S3(java.net.URI.create("http://127.0.0.1:9000"), "backups",
        "tandem"));
    assertThat(b.repository()).hasToString("s3:http://127.0.0.1:9000/backups/tandem");
    assertThat(b.copyTo()).containsExactly(new RepositoryLocation.Directory(Path.of("/mnt/offsite")),
        new RepositoryLocation.S3(null, "offsite-bucket", ""));
    assertThat(b.s3CredentialsFile()).isEqualTo(Path.of("/etc/tandem/s3.credentials"));
  }

  @Test
  void malformedS3Repository_namesKeyValueAndExpectedForms() {
    ConfigProblem p = problemOf(withBackup("""
        schedule: daily
        groups: [web]
        repository: "s3:https://minio.lan:9000"
        password-file: /k
        keep: { daily: 7 }
        """));
    assertThat(p.path()).isEqualTo("backups.nightly.repository");
    assertThat(p.message()).contains("'s3:https://minio.lan:9000' names no bucket", "s3://BUCKET/PREFIX",
        "s3:https://HOST[:PORT]/BUCKET/PREFIX");
  }

  @Test
  void otherRemoteCopyTo_isRefusedAtItsItem() {
    ConfigProblem p = problemOf(withBackup("""
        schedule: daily
        groups: [web]
        repository: /backups/tandem
        password-file: /k
        keep: { daily: 7 }
        copy-to: [s3://ok-bucket/x, "sftp://host/backups"]
        """));
    assertThat(p.path()).isEqualTo("backups.nightly.copy-to[1]");
    assertThat(p.message()).contains("in directories and on S3 servers only");
  }

  @Test
  void keepNothing_isRefused() {
    ConfigProblem p = problemOf(withBackup("""
        schedule: daily
        groups: [web]
        repository: /backups/tandem
        password-file: /k
        keep: { daily: 0 }
        """));
    assertThat(p.path()).isEqualTo("backups.nightly.keep");
    assertThat(p.message()).contains("keeps nothing");
  }

  @Test
  void misspeltKeepRule_isNamedWithSuggestion() {
    ConfigProblem p = problemOf(withBackup("""
        schedule: daily
        groups: [web]
        repository: /backups/tandem
        password-file: /k
        keep: { daily: 7, weakly: 4 }
        """));
    assertThat(p).isEqualTo(new ConfigProblem("backups.nightly.keep.weakly", "unknown key 'weakly'; did you mean 'weekly'?"));
  }
}
