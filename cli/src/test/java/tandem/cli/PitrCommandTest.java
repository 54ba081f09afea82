package tandem.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import tandem.core.NodeName;
import tandem.db.postgres.PgBin;
import tandem.db.postgres.PostgresEngine;
import tandem.db.postgres.PostgresSettings;
import tandem.db.postgres.WalArchive;
import tandem.transport.NodeIdentity;

/**
 * PostgreSQL point-in-time recovery as an operator runs it: a real server archiving its WAL the way
 * the agent sets it up (pitr: on), `tandem backup run` for the base, `tandem wal push`, then
 * `tandem pitr` to a moment between two commits gives exactly the rows committed before it.
 */
class PitrCommandTest extends BackupFixture {
  Path pgDir;
  Path data;
  PostgresEngine pg;
  int port;
  final List<Path> started = new ArrayList<>();

  @BeforeEach
  void startPostgres() throws Exception {
    pgDir = Path.of("target", "pitr-test").toAbsolutePath();
    deleteTree(pgDir);
    Files.createDirectories(pgDir);
    port = freePort();
    data = pgDir.resolve("pg");
    NodeIdentity id = NodeIdentity.create(pgDir.resolve("id"), new NodeName("n1"), List.of("127.0.0.1"));
    Map<String, String> parameters = new HashMap<>(Map.of("shared_buffers", "16MB", "max_connections", "20"));
    parameters.putAll(WalArchive.parameters(data)); // what the agent adds for a group of a pitr: on backup
    pg = new PostgresEngine(new PostgresSettings(PgBin.find(Optional.empty()), data, port, "127.0.0.1", "postgres", "n1",
        parameters, pgDir.resolve("data/postgres/db-0.secrets"), Files.readString(pgDir.resolve("id/node.crt")),
        Files.readString(pgDir.resolve("id/node.key"))));
    pg.bootstrap();
    pg.startPrimary();
    try (Connection c = pg.connect(); Statement st = c.createStatement()) {
      st.execute("CREATE DATABASE shop");
    }
    sql(port, "CREATE TABLE orders (id int PRIMARY KEY, note text)");
    config = Files.writeString(dir.resolve("tandem.yaml"), """
        cluster: shop
        node: { name: n1, listen: 127.0.0.1:7400, api: 127.0.0.1:8400, data-dir: %s }
        groups:
          db:
            nodes: { n1: primary }
            resources:
              - postgres: { data: %s, port: %d }
        backups:
          nightly:
            schedule: daily
            groups: [db]
            repository: %s
            password-file: %s
            keep: { last: 1 }
            pitr: on
        """.formatted(pgDir.resolve("data"), data, port, dir.resolve("repo"), dir.resolve("backup.key")));
  }

  @AfterEach
  void stopPostgres() throws Exception {
    for (Path d : started) {
      new ProcessBuilder("runuser", "-u", "postgres", "--", PgBin.find(Optional.empty()).resolve("pg_ctl").toString(), "-D",
          d.toString(), "-m", "immediate", "-w", "stop").redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD)
          .start().waitFor();
    }
    try {
      pg.stop();
    } catch (Exception e) {
      pg.postmasterPid().flatMap(ProcessHandle::of).ifPresent(ProcessHandle::destroyForcibly);
    }
  }

  @Test
  void pitrToAMomentBetweenTwoCommits_givesExactlyTheRowsCommittedBeforeIt() throws Exception {
    sql(port, "INSERT INTO orders SELECT g, 'before the base' FROM generate_series(1, 100) g");
    Run run = tandem("backup", "run");
    assertThat(run.code()).as(run.out()).isZero();
    Run restoreTest = tandem("backup", "verify", "--restore-test");
    assertThat(restoreTest.code()).as(restoreTest.out()).isZero();
    assertThat(restoreTest.out()).contains("the base backup of db/postgres-0").contains("reached a consistent state")
        .contains("database shop of db/postgres-0");

    sql(port, "INSERT INTO orders SELECT g, 'batch 1' FROM generate_series(101, 150) g");
    Instant afterFirst = serverNow();
    sql(port, "INSERT INTO orders SELECT g, 'batch 2' FROM generate_series(151, 170) g");
    Instant afterSecond = serverNow();
    sql(port, "DELETE FROM orders WHERE id <= 50"); // the mistake to recover from
    archiveCurrentWal();

    Run push = tandem("wal", "push");
    assertThat(push.code()).as(push.out()).isZero();
    assertThat(push.out()).containsPattern("group db: [1-9][0-9]* WAL file\\(s\\) pushed");
    assertThat(WalArchive.waiting(WalArchive.spool(data))).as("pushed files leave the spool").isEmpty();
    Run list = tandem("backup", "list");
    assertThat(list.out()).contains("1 snapshot(s)").contains("archived WAL of db:");

    Path first = pgDir.resolve("at-first");
    Run pitr = tandem("pitr", "-g", "db", "--to", afterFirst.toString(), "--target", first.toString());
    assertThat(pitr.code()).as(pitr.out()).isZero();
    assertThat(pitr.out()).contains("recovered to").contains("archived WAL file(s)");
    assertThat(rowsOf(first)).as("rows, lowest id, highest id").containsExactly(150L, 1L, 150L);

    Path second = pgDir.resolve("at-second");
    assertThat(tandem("pitr", "-g", "db", "--to", afterSecond.toString(), "--target", second.toString()).code()).isZero();
    assertThat(rowsOf(second)).as("rows, lowest id, highest id").containsExactly(170L, 1L, 170L);
    assertThat(Files.readString(second.resolve("tandem.conf"))).as("a recovered copy never archives into the group's WAL")
        .contains("archive_mode = off").doesNotContain("restore_command");
  }

  @Test
  void aMomentTheArchiveDoesNotReach_orBeforeTheFirstBase_orANonEmptyTarget_isAClearError() throws Exception {
    Instant beforeBase = serverNow();
    sql(port, "INSERT INTO orders VALUES (1, 'x')");
    assertThat(tandem("backup", "run").code()).isZero();
    sql(port, "INSERT INTO orders VALUES (2, 'y')");
    archiveCurrentWal();
    assertThat(tandem("wal", "push").code()).isZero();

    Run tooEarly = tandem("pitr", "-g", "db", "--to", beforeBase.minusSeconds(1).toString(), "--target",
        pgDir.resolve("early").toString());
    assertThat(tooEarly.code()).isNotZero();
    assertThat(tooEarly.out()).contains("no base backup of group db was taken before").contains("the oldest is from");

    Run tooLate = tandem("pitr", "-g", "db", "--to", Instant.now().plus(Duration.ofHours(1)).toString(), "--target",
        pgDir.resolve("late").toString());
    assertThat(tooLate.code()).isNotZero();
    assertThat(tooLate.out()).contains("the recovery stopped").contains("recovery target").contains("newest archived WAL was pushed at");

    Path full = Files.createDirectories(pgDir.resolve("full"));
    Files.writeString(full.resolve("keep.txt"), "mine");
    Run notEmpty = tandem("pitr", "-g", "db", "--to", Instant.now().toString(), "--target", full.toString());
    assertThat(notEmpty.code()).isNotZero();
    assertThat(notEmpty.out()).contains("is not empty");
    assertThat(Files.readString(full.resolve("keep.txt"))).isEqualTo("mine");

    Run badTime = tandem("pitr", "-g", "db", "--to", "yesterday noon", "--target", pgDir.resolve("t").toString());
    assertThat(badTime.code()).isEqualTo(2);
    assertThat(badTime.out()).contains("is not a moment").contains("2026-11-21 14:30:00");
    Run noGroup = tandem("pitr", "-g", "web", "--to", Instant.now().toString(), "--target", pgDir.resolve("t").toString());
    assertThat(noGroup.code()).isEqualTo(2);
    assertThat(noGroup.out()).contains("no group 'web'");
  }

  /** Forces the current WAL file out and waits until archive_command has put it in the spool. */
  void archiveCurrentWal() throws Exception {
    String file;
    try (Connection c = connect(port, "shop"); Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT pg_walfile_name(pg_switch_wal())")) {
      rs.next();
      file = rs.getString(1);
    }
    Path spool = WalArchive.spool(data);
    await().atMost(Duration.ofSeconds(60)).until(() -> Files.exists(spool.resolve(file)));
  }

  Instant serverNow() throws Exception {
    try (Connection c = connect(port, "shop"); Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT clock_timestamp()")) {
      rs.next();
      return rs.getTimestamp(1).toInstant();
    }
  }

  /** Starts the recovered data dir on a port of its own and returns count(*), min(id), max(id) of orders. */
  List<Long> rowsOf(Path recovered) throws Exception {
    int p = freePort();
    Process pgctl = new ProcessBuilder("runuser", "-u", "postgres", "--", PgBin.find(Optional.empty()).resolve("pg_ctl").toString(),
        "-D", recovered.toString(), "-l", recovered.resolve("test.log").toString(), "-w", "-o",
        "-p " + p + " -c listen_addresses=127.0.0.1 -c unix_socket_directories=''", "start").redirectErrorStream(true).start();
    String out = new String(pgctl.getInputStream().readAllBytes());
    assertThat(pgctl.waitFor()).as(out).isZero();
    started.add(recovered);
    try (Connection c = connect(p, "shop"); Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT count(*), min(id), max(id) FROM orders")) {
      rs.next();
      return List.of(rs.getLong(1), rs.getLong(2), rs.getLong(3));
    }
  }

  void sql(int p, String sql) throws Exception {
    try (Connection c = connect(p, "shop"); Statement st = c.createStatement()) {
      st.execute(sql);
    }
  }

  Connection connect(int p, String db) throws Exception {
    Properties props = new Properties();
    props.load(Files.newBufferedReader(pgDir.resolve("data/postgres/db-0.secrets")));
    Properties c = new Properties();
    c.setProperty("user", "tandem_admin");
    c.setProperty("password", props.getProperty("admin"));
    c.setProperty("sslmode", "disable");
    return DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + p + "/" + db, c);
  }

  static int freePort() throws IOException {
    return tandem.db.Scratch.freePort();
  }

  static void deleteTree(Path p) {
    tandem.db.Scratch.delete(p);
  }
}
