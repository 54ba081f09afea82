package tandem.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.StringReader;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.extension.RegisterExtension;
import tandem.it.harness.OwnedCluster;
import tandem.it.harness.TestCluster;

/**
 * A MariaDB group with {@code replication: dump} on two agents and a witness: n1 bootstraps it
 * without binlog, n2 clones it once and then installs a dump of n1 every 10 s. Status on both
 * nodes states n2's data-loss window; a dump that fails is an event, and so is the next one that
 * works. n1 takes a write just after a copy and is killed (-9) with its mariadbd: n2 is promoted
 * without that write and says how much time of writes was lost; n1, restarted, keeps its old data
 * dir aside, says where, and becomes n2's replica. A switchover back to n1 under the app's writes
 * loses none: n2, demoted, runs read-only until n1 has taken a last copy of it.
 */
@org.junit.jupiter.api.Timeout(value = 6, unit = java.util.concurrent.TimeUnit.MINUTES) // real servers on a shared 2-core machine
class MariadbDumpFailoverTest {
  private static final Duration FAILOVER = Duration.ofSeconds(60);
  private static final Duration CLONE = Duration.ofSeconds(120);
  private static final List<String> NODES = List.of("n1", "n2");
  private static final Pattern AGE = Pattern.compile("replication: dump, last copy (\\d+)s ago; a failover now loses up to"
      + " \\1s of writes");

  @RegisterExtension final OwnedCluster owned = new OwnedCluster();
  private final Map<String, Integer> ports = new HashMap<>();
  private TestCluster c;

  @Test
  void replicaCopiesByDumps_statusStatesTheLossWindow_failoverLosesOnlyWritesAfterTheLastCopy_oldPrimaryKeptAside(TestInfo info)
      throws Exception {
    c = owned.own(TestCluster.create(TestCluster.runDir(getClass(), info.getDisplayName()), NODES, "n3"));
    c.initAll();
    Set<Integer> taken = new HashSet<>();
    for (String n : NODES) {
      taken.addAll(List.of(c.node(n).listenPort(), c.node(n).listenPort() + 1, c.node(n).apiPort()));
    }
    for (String n : NODES) {
      ports.put(n, freePort(taken));
      Files.writeString(c.node(n).config(), "\ngroups:\n  db:\n    nodes: { n1: primary, n2: active }\n"
          + "    resources:\n      - mariadb:\n          data: \"" + data(n) + "\"\n          port: " + ports.get(n) + "\n"
          + "          replication: dump\n          dump-interval: 10s\n"
          + "          parameters: { innodb-buffer-pool-size: 16M, innodb-log-file-size: 16M, performance-schema: 'OFF' }\n",
          StandardOpenOption.APPEND);
    }
    c.startAll();
    await("db runs on n1").atMost(FAILOVER).ignoreExceptions().until(() -> c.runsOn("db", "n1", "n1"));
    assertThat(count("n1", "SELECT @@log_bin")).as("no binlog with replication: dump").isZero();
    exec("n1", "CREATE DATABASE shop");
    exec("n1", "CREATE TABLE shop.t (id int PRIMARY KEY, note varchar(100))");
    exec("n1", "CREATE USER 'app'@'127.0.0.1' IDENTIFIED BY 'app-pw'");
    exec("n1", "GRANT SELECT, INSERT ON shop.* TO 'app'@'127.0.0.1'");
    exec("n1", "INSERT INTO shop.t SELECT seq, 'before the clone' FROM shop.seq_1_to_200");
    await("n2 has cloned n1").atMost(CLONE).ignoreExceptions()
        .until(() -> count("n2", "SELECT count(*) FROM shop.t") == 200);
    exec("n1", "INSERT INTO shop.t SELECT seq, 'after the clone' FROM shop.seq_201_to_300");
    Instant written = Instant.now();
    await("a dump brings n2 the rows written after the clone").atMost(FAILOVER).ignoreExceptions()
        .until(() -> count("n2", "SELECT count(*) FROM shop.t") == 300);
    System.out.printf("MEASURED write on n1 -> visible on n2 by dump (interval 10s): %d ms%n",
        Duration.between(written, Instant.now()).toMillis());
    assertThatReplicaRefusesTheApp("n2");
    await("status on n2 and on n1 states n2's loss window").atMost(FAILOVER).ignoreExceptions()
        .until(() -> AGE.matcher(TestCluster.member(c.status("n2"), "db", "n2").path("lag").asText()).matches()
            && AGE.matcher(TestCluster.member(c.status("n1"), "db", "n2").path("lag").asText()).matches());
    assertThat(TestCluster.member(c.status("n2"), "db", "n1").path("lag").asText()).isEmpty();
    assertThat(c.metrics("n2")).contains("tandem_db_last_copy_age_seconds{");

    // A dump that fails (a MERGE table whose underlying table is gone cannot be read) is an event; the copy stays.
    exec("n1", "CREATE TABLE shop.part (i int) ENGINE=MyISAM");
    exec("n1", "CREATE TABLE shop.broken (i int) ENGINE=MERGE UNION=(shop.part)");
    exec("n1", "DROP TABLE shop.part");
    exec("n1", "INSERT INTO shop.t VALUES (301, 'while dumps fail')");
    await("n2 reports the failed dump").atMost(FAILOVER).ignoreExceptions()
        .until(() -> c.hasEvent("n2", "db-dump-failed", "could not take its dump of n1"));
    assertThat(TestCluster.member(c.status("n2"), "db", "n2").path("lag").asText()).contains("its last dump failed");
    assertThat(count("n2", "SELECT count(*) FROM shop.t")).as("the previous copy stays").isEqualTo(300);
    exec("n1", "DROP TABLE shop.broken");
    await("the next dump works and says so").atMost(FAILOVER).ignoreExceptions()
        .until(() -> c.hasEvent("n2", "db-dump-recovered", "installed a dump of n1 again")
            && count("n2", "SELECT count(*) FROM shop.t") == 301);

    // Right after a copy, n1 takes a write no copy will have, and dies with its server.
    await("a fresh copy on n2").atMost(FAILOVER).pollInterval(Duration.ofMillis(200)).ignoreExceptions()
        .until(() -> age(TestCluster.member(c.status("n2"), "db", "n2").path("lag").asText()) <= 1);
    exec("n1", "INSERT INTO shop.t VALUES (400, 'lost: after the last copy')");
    long oldServer = serverPid("n1");
    Instant killed = c.kill9("n1");
    ProcessHandle.of(oldServer).ifPresent(ProcessHandle::destroyForcibly);
    c.awaitPrimary("db", "n2", FAILOVER, p -> "n2".equals(p));
    await("db runs on n2").atMost(FAILOVER).ignoreExceptions().until(() -> c.runsOn("db", "n2", "n2"));
    await("the app's first write on n2 commits").atMost(FAILOVER).ignoreExceptions().until(() -> {
      asApp("n2", "INSERT INTO shop.t VALUES (1000, 'after the failover')");
      return true;
    });
    System.out.printf("MEASURED kill -9 of n1 and its mariadbd -> first commit on n2 (replication: dump): %d ms%n",
        Duration.between(killed, Instant.now()).toMillis());
    assertThat(count("n2", "SELECT count(*) FROM shop.t WHERE id = 400")).as("the write after the last copy is lost").isZero();
    assertThat(count("n2", "SELECT count(*) FROM shop.t WHERE id <= 301")).isEqualTo(301);
    await("n2 says how much time of writes was lost").atMost(FAILOVER).ignoreExceptions()
        .until(() -> c.hasEvent("n2", "db-writes-lost", "writes the old primary took after that are not in it, up to"));

    c.restart("n1");
    await("n1 rejoins as a replica of n2 and gets the new row").atMost(CLONE).ignoreExceptions()
        .until(() -> count("n1", "SELECT count(*) FROM shop.t WHERE id = 1000") == 1);
    Path kept = c.node("n1").dir().resolve("mysql.old-primary-");
    await("n1 says where its old data dir is kept").atMost(FAILOVER).ignoreExceptions()
        .until(() -> c.hasEvent("n1", "db-cloned", "its old data directory is kept in " + kept));
    try (var s = Files.list(c.node("n1").dir())) {
      Path dir = s.filter(p -> p.getFileName().toString().startsWith("mysql.old-primary-")).findFirst().orElseThrow();
      assertThat(dir.resolve("shop/t.ibd")).exists();
    }
    assertThat(count("n1", "SELECT count(*) FROM shop.t WHERE id = 400")).as("not in the live data").isZero();
    assertThatReplicaRefusesTheApp("n1");

    // A planned switchover back to n1 under the app's writes: n2 is fenced but still runs, n1 takes a last copy
    // of it before its promotion, so no acknowledged write is lost.
    AtomicBoolean writing = new AtomicBoolean(true);
    Set<Integer> acked = ConcurrentHashMap.newKeySet();
    Thread writer = Thread.ofPlatform().name("app-writer").start(() -> {
      String target = "n2";
      for (int i = 2000; writing.get(); i++) {
        try (Connection conn = DriverManager.getConnection("jdbc:mariadb://127.0.0.1:" + ports.get(target)
            + "/shop?user=app&password=app-pw&connectTimeout=2000&socketTimeout=5000"); Statement st = conn.createStatement()) {
          st.execute("INSERT INTO t VALUES (" + i + ", 'app write')");
          acked.add(i);
        } catch (SQLException e) {
          target = target.equals("n1") ? "n2" : "n1"; // read-only now, or switching: the app tries the other node
        }
      }
    });
    try {
      await("the app's writes reach n2").atMost(FAILOVER).until(() -> acked.size() >= 50);
      Instant asked = Instant.now();
      TestCluster.CliResult r = c.cli("n2", "switchover", "db", "--to", "n1");
      assertThat(r.exitCode()).as(r.output()).isZero();
      await("db runs on n1").atMost(FAILOVER).ignoreExceptions().until(() -> c.runsOn("db", "n1", "n1"));
      int atSwitch = acked.size();
      await("the app's writes resume on n1").atMost(FAILOVER).until(() -> acked.size() >= atSwitch + 50);
      System.out.printf("MEASURED switchover n2 -> n1 under writes (replication: dump): %d ms%n",
          Duration.between(asked, Instant.now()).toMillis());
    } finally {
      writing.set(false);
      writer.join();
    }
    Set<Integer> onN1 = new HashSet<>();
    try (Connection conn = connect("n1"); Statement st = conn.createStatement();
        ResultSet rs = st.executeQuery("SELECT id FROM shop.t WHERE id >= 2000")) {
      while (rs.next()) {
        onN1.add(rs.getInt(1));
      }
    }
    assertThat(onN1).as("every acknowledged write is on the new primary").containsAll(acked);
    await("n1 says its last copy lost nothing").atMost(FAILOVER).ignoreExceptions()
        .until(() -> c.hasEvent("n1", "db-final-copy", "no write was lost"));
  }

  /** The seconds in "replication: dump, last copy 3s ago; ..." (a large number when it does not match). */
  private static long age(String lag) {
    Matcher m = AGE.matcher(lag);
    return m.matches() ? Long.parseLong(m.group(1)) : Long.MAX_VALUE;
  }

  private void asApp(String node, String sql) throws SQLException {
    try (Connection conn = DriverManager.getConnection("jdbc:mariadb://127.0.0.1:" + ports.get(node)
        + "/shop?user=app&password=app-pw"); Statement st = conn.createStatement()) {
      st.execute(sql);
    }
  }

  /** An ordinary user (no privilege beyond its database) cannot write on a replica. */
  private void assertThatReplicaRefusesTheApp(String node) throws Exception {
    try (Connection conn = DriverManager.getConnection("jdbc:mariadb://127.0.0.1:" + ports.get(node)
        + "/shop?user=app&password=app-pw"); Statement st = conn.createStatement()) {
      st.execute("INSERT INTO shop.t VALUES (-1, 'on a replica')");
    } catch (SQLException e) {
      assertThat(e.getMessage()).contains("read-only");
      return;
    }
    throw new AssertionError(node + " accepted a write from an ordinary user as a replica");
  }

  @AfterEach
  void stopMariadb() {
    if (c == null) {
      return;
    }
    // Agents first: one still cloning or rejoining would start its server again after this.
    c.close();
    for (String n : NODES) {
      try {
        ProcessHandle.of(serverPid(n)).ifPresent(ProcessHandle::destroyForcibly);
      } catch (IOException | RuntimeException e) {
        // no server ran there
      }
    }
  }

  private Path data(String node) {
    return c.node(node).dir().resolve("mysql");
  }

  private long serverPid(String node) throws IOException {
    return Long.parseLong(Files.readString(c.node(node).dir().resolve("mysql.tandem/mariadbd.pid")).trim());
  }

  private Connection connect(String node) throws Exception {
    Properties secrets = new Properties();
    secrets.load(new StringReader(Files.readString(c.node(node).dataDir().resolve("mariadb/db-0.secrets"))));
    Properties p = new Properties();
    p.setProperty("user", "tandem_admin");
    p.setProperty("password", secrets.getProperty("admin"));
    p.setProperty("connectTimeout", "3000");
    p.setProperty("socketTimeout", "10000");
    return DriverManager.getConnection("jdbc:mariadb://127.0.0.1:" + ports.get(node) + "/", p);
  }

  private void exec(String node, String sql) throws Exception {
    try (Connection conn = connect(node); Statement st = conn.createStatement()) {
      st.execute(sql);
    }
  }

  private long count(String node, String sql) throws Exception {
    return Long.parseLong(queryOne(node, sql));
  }

  private String queryOne(String node, String sql) throws Exception {
    try (Connection conn = connect(node); Statement st = conn.createStatement(); ResultSet rs = st.executeQuery(sql)) {
      rs.next();
      return rs.getString(1);
    }
  }

  private static int freePort(Set<Integer> taken) {
    for (int i = 0; i < 1000; i++) {
      int p = 20_000 + ThreadLocalRandom.current().nextInt(12_000);
      if (taken.contains(p)) {
        continue;
      }
      try (ServerSocket s = new ServerSocket(p, 1, InetAddress.getLoopbackAddress())) {
        taken.add(p);
        return p;
      } catch (IOException busy) {
        // next
      }
    }
    throw new IllegalStateException("no free port below 32000");
  }
}
