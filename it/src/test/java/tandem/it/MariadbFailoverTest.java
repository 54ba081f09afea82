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
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.extension.RegisterExtension;
import tandem.it.harness.OwnedCluster;
import tandem.it.harness.TestCluster;

/**
 * A group with a real MariaDB on two agents and a witness: n1 bootstraps it, n2 clones it from n1's
 * backup stream (over the agents' transport) and replicates by GTID. The replica is cut off, n1
 * commits a row nobody receives, then n1's agent and mariadbd are killed (-9): n2 is promoted,
 * writes resume there with every row it had, and n1, restarted, reports its errant transaction,
 * saves it as SQL and replicates from n2. A planned switchover back to n1 while the app writes
 * loses no acknowledged row. (Re-pointing a second replica is MariadbReplicationTest's.)
 */
@org.junit.jupiter.api.Timeout(value = 6, unit = java.util.concurrent.TimeUnit.MINUTES) // real servers on a shared 2-core machine
class MariadbFailoverTest {
  private static final Duration FAILOVER = Duration.ofSeconds(60);
  private static final Duration CLONE = Duration.ofSeconds(120);
  private static final List<String> NODES = List.of("n1", "n2");

  @RegisterExtension final OwnedCluster owned = new OwnedCluster();
  private final Map<String, Integer> ports = new HashMap<>();
  private TestCluster c;

  @Test
  void primaryAndItsMariadbKilled9_replicaPromoted_writesResume_oldPrimarysErrantWriteSavedOnReturn_switchoverBackLosesNoWrite(TestInfo info)
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
          + "          parameters: { innodb-buffer-pool-size: 16M, innodb-log-file-size: 16M, performance-schema: 'OFF' }\n",
          StandardOpenOption.APPEND);
    }
    c.startAll();
    await("db runs on n1").atMost(FAILOVER).ignoreExceptions().until(() -> c.runsOn("db", "n1", "n1"));
    exec("n1", "CREATE DATABASE shop");
    exec("n1", "CREATE TABLE shop.t (id int PRIMARY KEY, note varchar(100))");
    exec("n1", "CREATE USER 'app'@'127.0.0.1' IDENTIFIED BY 'app-pw'");
    exec("n1", "GRANT SELECT, INSERT ON shop.* TO 'app'@'127.0.0.1'");
    for (int i = 1; i <= 200; i++) {
      exec("n1", "INSERT INTO shop.t VALUES (" + i + ", 'before the kill')");
    }
    await("n2 has cloned and received the 200 rows").atMost(CLONE).ignoreExceptions()
        .until(() -> count("n2", "SELECT count(*) FROM shop.t") == 200);
    await("status shows n2 replicating, on n2 (its delay) and on n1 (connected), with the GTID distance").atMost(FAILOVER)
        .ignoreExceptions().until(() -> TestCluster.member(c.status("n2"), "db", "n2").path("lag").asText()
            .matches("\\d+\\.\\d s \\(streaming\\), 0 tx behind")
            && TestCluster.member(c.status("n1"), "db", "n2").path("lag").asText().equals("streaming (async), 0 tx behind"));
    assertThatReplicaRefusesTheApp("n2");

    // Cut the replica off, then a write only n1 ever gets.
    exec("n2", "STOP SLAVE IO_THREAD");
    exec("n1", "INSERT INTO shop.t VALUES (500, 'errant: only on n1')");
    long oldServer = serverPid("n1");
    Instant killed = c.kill9("n1");
    ProcessHandle.of(oldServer).ifPresent(ProcessHandle::destroyForcibly);
    String next = c.awaitPrimary("db", "n2", FAILOVER, p -> "n2".equals(p));
    await("db runs on " + next).atMost(FAILOVER).ignoreExceptions().until(() -> c.runsOn("db", next, next));
    await("the first write on " + next + " commits").atMost(FAILOVER).ignoreExceptions()
        .until(() -> {
          exec(next, "INSERT INTO shop.t VALUES (1000, 'after the failover')");
          return true;
        });
    System.out.printf("MEASURED kill -9 of n1 and its mariadbd -> first commit on %s: %d ms%n", next,
        Duration.between(killed, Instant.now()).toMillis());
    assertThat(count(next, "SELECT count(*) FROM shop.t WHERE note = 'before the kill'")).isEqualTo(200);

    c.restart("n1");
    await("n1 rejoins as a replica of " + next + " and gets the new row").atMost(CLONE).ignoreExceptions()
        .until(() -> count("n1", "SELECT count(*) FROM shop.t WHERE id = 1000") == 1);
    await("n1 reports its errant transaction").atMost(FAILOVER).ignoreExceptions()
        .until(() -> c.hasEvent("n1", "db-errant-transactions", "1 errant transaction existed only here"));
    assertThat(count("n1", "SELECT count(*) FROM shop.t WHERE id = 500")).as("not in the live data").isZero();
    try (Stream<Path> s = Files.list(c.node("n1").dir())) {
      Path sql = s.filter(p -> p.getFileName().toString().startsWith("mysql.errant-")).findFirst().orElseThrow();
      assertThat(Files.readString(sql)).contains("errant: only on n1");
    }
    assertThatReplicaRefusesTheApp("n1");

    // A planned switchover back to n1 under a write loop of the app: no acknowledged row is lost.
    AtomicBoolean writing = new AtomicBoolean(true);
    Set<Integer> acked = ConcurrentHashMap.newKeySet();
    AtomicInteger refused = new AtomicInteger();
    Thread writer = Thread.ofPlatform().name("app-writer").start(() -> {
      String target = next;
      for (int i = 2000; writing.get(); i++) {
        try (Connection conn = DriverManager.getConnection("jdbc:mariadb://127.0.0.1:" + ports.get(target)
            + "/shop?user=app&password=app-pw&connectTimeout=2000&socketTimeout=5000"); Statement st = conn.createStatement()) {
          st.execute("INSERT INTO t VALUES (" + i + ", 'app write')");
          acked.add(i);
        } catch (SQLException e) {
          refused.incrementAndGet(); // read-only now, or the server is switching: the app tries the other node
          target = target.equals("n1") ? "n2" : "n1";
        }
      }
    });
    try {
      await("the app's writes reach " + next).atMost(FAILOVER).until(() -> acked.size() >= 50);
      Instant asked = Instant.now();
      TestCluster.CliResult r = c.cli(next, "switchover", "db", "--to", "n1");
      assertThat(r.exitCode()).as(r.output()).isZero();
      await("db runs on n1").atMost(FAILOVER).ignoreExceptions().until(() -> c.runsOn("db", "n1", "n1"));
      int atSwitch = acked.size();
      await("the app's writes resume on n1").atMost(FAILOVER).until(() -> acked.size() >= atSwitch + 50);
      System.out.printf("MEASURED switchover %s -> n1 under writes: %d ms to done, %d writes refused meanwhile%n", next,
          Duration.between(asked, Instant.now()).toMillis(), refused.get());
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
    await(next + " follows n1").atMost(CLONE).ignoreExceptions()
        .until(() -> count(next, "SELECT count(*) FROM shop.t WHERE id >= 2000") == onN1.size());
    assertThatReplicaRefusesTheApp(next);
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
