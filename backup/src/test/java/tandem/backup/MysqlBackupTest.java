package tandem.backup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import tandem.config.ConfigLoader;
import tandem.config.TandemConfig;
import tandem.core.NodeName;
import tandem.db.DbSecrets;
import tandem.db.mariadb.MysqlEngine;
import tandem.db.mariadb.MariadbSettings;
import tandem.transport.NodeIdentity;

/**
 * A group's real MySQL (a {@code mysql:} resource) backed up while it runs, as {@link
 * MariadbBackupTest} does MariaDB's: each database dumped in one consistent read, without GTID or
 * binlog settings, and streamed into the repository with the server's accounts; a snapshot's dump
 * loads into a new database (and replicates from there) and gives exactly the rows of its moment;
 * the restore test loads it into a scratch MySQL.
 */
class MysqlBackupTest {
  static final Path BIN = Path.of(System.getProperty("tandem.mysql.bin", "/opt/tandem-mysql/bin"));
  Path dir;
  MysqlEngine db;
  int port;
  TandemConfig config;

  @BeforeEach
  void setUp() throws Exception {
    if (!Files.isExecutable(BIN.resolve("mysqld"))) {
      throw new IllegalStateException("no MySQL server at " + BIN + ": run dev/mysql.sh (the test command does)");
    }
    dir = Path.of("target", "mysql-backup-test").toAbsolutePath();
    BackupTest.deleteTree(dir);
    Files.createDirectories(dir);
    port = tandem.testkit.TestPorts.take();
    NodeIdentity.create(dir.resolve("id"), new NodeName("n1"), List.of("127.0.0.1"));
    Path secrets = dir.resolve("data/mysql/shop-0.secrets");
    db = new MysqlEngine(new MariadbSettings(BIN, dir.resolve("my"), port, "127.0.0.1", "mysql", "n1",
        List.of(), Map.of("innodb-buffer-pool-size", "32M", "innodb-redo-log-capacity", "64M"),
        secrets, Files.readString(dir.resolve("id/node.crt")), Files.readString(dir.resolve("id/node.key"))));
    db.bootstrap();
    db.startPrimary();
    sql("CREATE DATABASE shop", "CREATE TABLE shop.orders (id int PRIMARY KEY, total decimal(10,2), note text)",
        "CREATE DATABASE other", "CREATE TABLE other.t (x int)", "INSERT INTO other.t VALUES (7)");
    Path pw = Files.writeString(dir.resolve("backup.key"), "pw\n");
    Files.setPosixFilePermissions(pw, PosixFilePermissions.fromString("rw-------"));
    config = ConfigLoader.parse("""
        cluster: c
        node: { name: n1, listen: 127.0.0.1:7400, api: 127.0.0.1:8400, data-dir: %s }
        groups:
          shop:
            nodes: { n1: primary }
            resources:
              - files: { path: %s }
              - mysql: { data: %s, port: %d, bin: %s, databases: [shop] }
        backups:
          nightly: { schedule: daily, groups: [shop], repository: %s, password-file: %s, keep: { last: 5 } }
        """.formatted(dir.resolve("data"), Files.createDirectories(dir.resolve("www")), dir.resolve("my"), port, BIN, dir.resolve("repo"), pw), dir.resolve("tandem.yaml"));
  }

  @AfterEach
  void stop() {
    try {
      db.stop();
    } catch (Exception e) {
      db.serverPid().flatMap(ProcessHandle::of).ifPresent(ProcessHandle::destroyForcibly);
    }
  }

  @Test
  void databasesAreDumpedWhileRunning_andASnapshotLoadsIntoANewDatabaseWithTheRowsOfItsMoment() throws Exception {
    List<String> batch = new ArrayList<>();
    for (int i = 1; i <= 500; i++) {
      batch.add("INSERT INTO shop.orders VALUES (" + i + ", " + i + ".50, 'it''s order " + i + "\\n')");
    }
    sql(batch.toArray(String[]::new));
    List<String> atFirst = rows("shop");
    BackupJobs jobs = new BackupJobs(config, config.backups().get("nightly"));
    Backup.Result first = jobs.run(Backup.Progress.NONE).result();
    sql("INSERT INTO shop.orders WITH RECURSIVE seq(n) AS (SELECT 501 UNION ALL SELECT n + 1 FROM seq WHERE n < 800)"
        + " SELECT n, n, NULL FROM seq", "DELETE FROM shop.orders WHERE id <= 10",
        "CREATE USER 'app'@'%' IDENTIFIED BY 'app-pw'", "GRANT SELECT ON shop.* TO 'app'@'%'");
    Backup.Result second = jobs.run(Backup.Progress.NONE).result();

    Path out = dir.resolve("restored");
    jobs.restore(first.snapshotId(), "shop/mysql-0", out);
    Path dumps = out.resolve("shop/mysql-0");
    assertThat(Files.readString(dumps.resolve("users.sql"))).as("tandem's own accounts are the cluster's, not the backup's")
        .doesNotContain("tandem_admin");
    assertThat(dumps.resolve("other.sql")).as("only the databases: filter's").doesNotExist();
    String dump = Files.readString(dumps.resolve("shop.sql"));
    assertThat(dump).contains("CREATE TABLE `orders`").doesNotContain("CREATE DATABASE").doesNotContain("USE `shop`")
        .as("a dump that set GTID_PURGED or turned the binlog off would not load, or not replicate").doesNotContain("GTID_PURGED")
        .doesNotContain("SQL_LOG_BIN");

    load("shop_first", dumps.resolve("shop.sql"));
    assertThat(rows("shop_first")).as("row for row as at the first snapshot").isEqualTo(atFirst).hasSize(500);
    // tandem loads it by itself too, into a new database on this node's server.
    BackupJobs.DatabaseRestored r = jobs.restoreDatabase(first.snapshotId(), "shop/mysql-0/shop.sql", "shop_again");
    assertThat(r.source()).isEqualTo("shop/mysql-0");
    assertThat(rows("shop_again")).isEqualTo(atFirst);
    assertThatThrownBy(() -> jobs.restoreDatabase(first.snapshotId(), "shop/mysql-0/shop.sql", "shop"))
        .hasMessageContaining("database shop already exists");
    assertThat(rows("shop")).as("untouched").hasSize(790);
    sql("SET GLOBAL read_only = 1"); // as on a replica
    assertThatThrownBy(() -> jobs.restoreDatabase(first.snapshotId(), "shop/mysql-0/shop.sql", "on_replica"))
        .hasMessageContaining("read-only replica").hasMessageContaining("primary");
    sql("SET GLOBAL read_only = 0");
    assertThatThrownBy(() -> jobs.restoreDatabase(first.snapshotId(), "shop/mysql-0/users.sql", "u"))
        .hasMessageContaining("not one database's dump");

    Path out2 = dir.resolve("restored2");
    jobs.restore(second.snapshotId(), "shop/mysql-0", out2);
    String users = Files.readString(out2.resolve("shop/mysql-0/users.sql"));
    assertThat(users).contains("CREATE USER IF NOT EXISTS `app`@`%` IDENTIFIED WITH 'caching_sha2_password' AS 0x")
        .contains("GRANT SELECT ON `shop`.* TO `app`@`%`;").doesNotContain("root");
    sql("DROP USER 'app'@'%'");
    load("mysql", out2.resolve("shop/mysql-0/users.sql"), false);
    try (Connection c = java.sql.DriverManager.getConnection("jdbc:mariadb://127.0.0.1:" + port
        + "/shop?user=app&password=app-pw&allowPublicKeyRetrieval=true"); Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT count(*) FROM orders")) {
      rs.next();
      assertThat(rs.getLong(1)).as("the account is back, with its password and grants").isEqualTo(790);
    }
    load("shop_second", out2.resolve("shop/mysql-0/shop.sql"));
    assertThat(rows("shop_second")).as("row for row as now").isEqualTo(rows("shop")).hasSize(790);
    assertThat(new Verify(Repository.open(dir.resolve("repo"), "pw".toCharArray())).run(100, 1).problems()).isEmpty();

    // The restore test loads each dump of the latest snapshot into a scratch server it removes afterwards.
    List<Path> before = scratchDirs();
    RestoreTest.Report t = jobs.restoreTest(5);
    assertThat(t.problems()).isEmpty();
    assertThat(t.databases()).extracting(RestoreTest.DatabaseProof::database, RestoreTest.DatabaseProof::tables,
        RestoreTest.DatabaseProof::rows).containsExactly(org.assertj.core.groups.Tuple.tuple("shop", 1, 790L));
    assertThat(scratchDirs()).isEqualTo(before);
  }

  static List<Path> scratchDirs() throws java.io.IOException {
    try (var s = Files.list(Path.of(System.getProperty("java.io.tmpdir")))) {
      return s.filter(p -> p.getFileName().toString().startsWith("tandem-scratch-my-")).sorted().toList();
    }
  }

  @Test
  void aServerThatIsDown_failsTheBackup_andWritesNoSnapshot() throws Exception {
    BackupJobs jobs = new BackupJobs(config, config.backups().get("nightly"));
    jobs.run(Backup.Progress.NONE);
    db.stop();

    BackupScheduler s = new BackupScheduler(config, "n1", b -> true, e -> {}, java.time.Clock.systemUTC());
    BackupScheduler.LastRun run = s.runOnce(config.backups().get("nightly"));

    assertThat(run.ok()).isFalse();
    assertThat(run.message()).contains("MySQL");
    assertThat(jobs.list()).hasSize(1);
  }

  /** Loads a dump into a new database with the mysql client, as a user restoring it would. */
  void load(String database, Path dump) throws Exception {
    load(database, dump, true);
  }

  void load(String database, Path dump, boolean create) throws Exception {
    if (create) {
      sql("CREATE DATABASE " + database);
    }
    ProcessBuilder pb = new ProcessBuilder(BIN.resolve("mysql").toString(), "--protocol=TCP", "-h", "127.0.0.1", "-P",
        Integer.toString(port), "-u", "tandem_admin", "--ssl-mode=DISABLED", "--get-server-public-key", database)
        .redirectInput(dump.toFile()).redirectErrorStream(true);
    pb.environment().put("MYSQL_PWD", DbSecrets.read(dir.resolve("data/mysql/shop-0.secrets")).admin());
    Process p = pb.start();
    String log = new String(p.getInputStream().readAllBytes());
    assertThat(p.waitFor()).as(log).isZero();
  }

  List<String> rows(String database) throws Exception {
    List<String> out = new ArrayList<>();
    try (Connection c = db.connect(); Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT id, total, note FROM " + database + ".orders ORDER BY id")) {
      while (rs.next()) {
        out.add(rs.getInt(1) + "|" + rs.getBigDecimal(2) + "|" + rs.getString(3));
      }
    }
    return out;
  }

  void sql(String... sql) throws Exception {
    try (Connection c = db.connect(); Statement st = c.createStatement()) {
      for (String s : sql) {
        st.execute(s);
      }
    }
  }
}
