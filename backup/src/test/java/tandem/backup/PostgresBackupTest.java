package tandem.backup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import tandem.config.ConfigLoader;
import tandem.config.TandemConfig;
import tandem.core.NodeName;
import tandem.db.postgres.PgBin;
import tandem.db.postgres.PostgresEngine;
import tandem.db.postgres.PostgresSettings;
import tandem.transport.NodeIdentity;

/**
 * A group's real PostgreSQL backed up with its files while it runs: each database dumped
 * consistently and streamed into the repository, and a snapshot restored into a new database gives
 * exactly the rows of that moment.
 */
class PostgresBackupTest {
  Path dir;
  PostgresEngine pg;
  int port;
  TandemConfig config;

  @BeforeEach
  void setUp() throws Exception {
    dir = Path.of("target", "pg-backup-test").toAbsolutePath();
    BackupTest.deleteTree(dir);
    Files.createDirectories(dir);
    port = freePort();
    NodeIdentity id = NodeIdentity.create(dir.resolve("id"), new NodeName("n1"), List.of("127.0.0.1"));
    Path secrets = dir.resolve("data/postgres/shop-0.secrets");
    pg = new PostgresEngine(new PostgresSettings(PgBin.find(Optional.empty()), dir.resolve("pg"), port, "127.0.0.1", "postgres",
        "n1", Map.of("shared_buffers", "16MB", "max_connections", "20"), secrets,
        Files.readString(dir.resolve("id/node.crt")), Files.readString(dir.resolve("id/node.key"))));
    pg.bootstrap();
    pg.startPrimary();
    try (Connection c = pg.connect(); Statement st = c.createStatement()) {
      st.execute("CREATE DATABASE shop");
    }
    sql("shop", "CREATE TABLE orders (id int PRIMARY KEY, total numeric)");
    Path www = Files.createDirectories(dir.resolve("www"));
    Files.writeString(www.resolve("index.html"), "shop");
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
              - postgres: { data: %s, port: %d }
        backups:
          nightly: { schedule: daily, groups: [shop], repository: %s, password-file: %s, keep: { last: 5 } }
        """.formatted(dir.resolve("data"), www, dir.resolve("pg"), port, dir.resolve("repo"), pw), dir.resolve("tandem.yaml"));
  }

  @AfterEach
  void stop() {
    try {
      pg.stop();
    } catch (Exception e) {
      pg.postmasterPid().flatMap(ProcessHandle::of).ifPresent(ProcessHandle::destroyForcibly);
    }
  }

  @Test
  void databasesAreDumpedWhileRunning_andASnapshotRestoresIntoANewDatabaseWithTheRowsOfItsMoment() throws Exception {
    for (int i = 1; i <= 500; i++) {
      sql("shop", "INSERT INTO orders VALUES (" + i + ", " + i * 1.5 + ")");
    }
    BackupJobs jobs = new BackupJobs(config, config.backups().get("nightly"));
    Backup.Result first = jobs.run(Backup.Progress.NONE).result();
    sql("shop", "INSERT INTO orders SELECT g, g FROM generate_series(501, 800) g");
    sql("shop", "DELETE FROM orders WHERE id <= 10");
    jobs.run(Backup.Progress.NONE);

    Path out = dir.resolve("restored");
    jobs.restore(first.snapshotId(), "shop/postgres-0", out);
    assertThat(out.resolve("shop/postgres-0/shop.pgdump")).isRegularFile();
    assertThat(Files.readString(out.resolve("shop/postgres-0/globals.sql"))).contains("CREATE ROLE tandem_admin");
    BackupJobs.DatabaseRestored r = jobs.restoreDatabase(first.snapshotId(), "shop/postgres-0/shop.pgdump", "shop_restored");
    assertThat(r.source()).isEqualTo("shop/postgres-0");
    assertThat(r.bytes()).isEqualTo(Files.size(out.resolve("shop/postgres-0/shop.pgdump")));
    // Nothing existing is touched, and a name tandem would have to quote is refused before anything happens.
    assertThatThrownBy(() -> jobs.restoreDatabase(first.snapshotId(), "shop/postgres-0/shop.pgdump", "shop"))
        .hasMessageContaining("database shop already exists").hasMessageContaining("new name");
    assertThatThrownBy(() -> jobs.restoreDatabase("latest", "shop/postgres-0/shop.pgdump", "x; DROP DATABASE shop"))
        .hasMessageContaining("not a database name");
    assertThatThrownBy(() -> jobs.restoreDatabase("latest", "shop/postgres-0/globals.sql", "g"))
        .hasMessageContaining("not one database's dump");
    assertThat(count("shop_restored")).as("rows at the first snapshot").isEqualTo(500);
    assertThat(count("shop")).as("rows now").isEqualTo(790);
    assertThat(new Verify(Repository.open(dir.resolve("repo"), "pw".toCharArray())).run(100, 1).problems()).isEmpty();

    // The restore test does the same by itself, into a scratch server it removes afterwards.
    List<Path> scratchBefore = scratchDirs();
    RestoreTest.Report t = jobs.restoreTest(5);
    assertThat(t.problems()).isEmpty();
    assertThat(t.databases()).extracting(RestoreTest.DatabaseProof::database, RestoreTest.DatabaseProof::tables,
        RestoreTest.DatabaseProof::rows).contains(org.assertj.core.groups.Tuple.tuple("shop", 1, 790L));
    assertThat(scratchDirs()).isEqualTo(scratchBefore);
  }

  static List<Path> scratchDirs() throws IOException {
    try (var s = Files.list(Path.of(System.getProperty("java.io.tmpdir")))) {
      return s.filter(p -> p.getFileName().toString().startsWith("tandem-scratch-pg-")).sorted().toList();
    }
  }

  @Test
  void aDumpThatFails_failsTheBackup_andWritesNoSnapshot() throws Exception {
    BackupJobs jobs = new BackupJobs(config, config.backups().get("nightly"));
    jobs.run(Backup.Progress.NONE);
    pg.stop();

    BackupScheduler s = new BackupScheduler(config, "n1", b -> true, e -> {}, java.time.Clock.systemUTC());
    BackupScheduler.LastRun run = s.runOnce(config.backups().get("nightly"));

    assertThat(run.ok()).isFalse();
    assertThat(run.message()).contains("PostgreSQL");
    assertThat(jobs.list()).hasSize(1);
  }

  long count(String db) throws Exception {
    try (Connection c = connect(db); Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT count(*) FROM orders")) {
      rs.next();
      return rs.getLong(1);
    }
  }

  void sql(String db, String sql) throws Exception {
    try (Connection c = connect(db); Statement st = c.createStatement()) {
      st.execute(sql);
    }
  }

  Connection connect(String db) throws Exception {
    Properties p = new Properties();
    p.setProperty("user", "tandem_admin");
    p.setProperty("password", adminPassword());
    p.setProperty("sslmode", "disable");
    return DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + port + "/" + db, p);
  }

  String adminPassword() throws IOException {
    Properties p = new Properties();
    p.load(Files.newBufferedReader(dir.resolve("data/postgres/shop-0.secrets")));
    return p.getProperty("admin");
  }

  static int freePort() {
    for (int i = 0; i < 1000; i++) {
      int p = 20_000 + ThreadLocalRandom.current().nextInt(12_000);
      try (ServerSocket s = new ServerSocket(p, 1, InetAddress.getLoopbackAddress())) {
        return p;
      } catch (IOException taken) {
        // next
      }
    }
    throw new IllegalStateException("no free port");
  }
}
