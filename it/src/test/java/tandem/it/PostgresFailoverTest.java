package tandem.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.StringReader;
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
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.extension.RegisterExtension;
import tandem.it.harness.OwnedCluster;
import tandem.it.harness.Ports;
import tandem.it.harness.TestCluster;

/**
 * A group with a real PostgreSQL on each of three agents: the first node bootstraps it, the others
 * clone and stream; kill -9 of the primary's agent and of its postgres moves the group, writes go
 * on at the new primary with every row the replicas had, and the old node, restarted, rewinds
 * (keeping its pre-rewind data) and streams from the new primary.
 */
@org.junit.jupiter.api.Timeout(value = 6, unit = java.util.concurrent.TimeUnit.MINUTES) // real servers on a shared 2-core machine
class PostgresFailoverTest {
  private static final Duration FAILOVER = Duration.ofSeconds(60);
  private static final Duration CLONE = Duration.ofSeconds(120);
  private static final List<String> NODES = List.of("n1", "n2", "n3");

  @RegisterExtension final OwnedCluster owned = new OwnedCluster();
  private final Map<String, Integer> ports = new HashMap<>();
  private TestCluster c;

  /** Three agents, each with a PostgreSQL of the group "db" on its own port; the database runs on n1. */
  private void startCluster(TestInfo info, String synchronous) throws Exception {
    startCluster(info, synchronous, false);
  }

  /** With {@code pitr}, also a backup of db with pitr: on into one repository the three nodes share. */
  private void startCluster(TestInfo info, String synchronous, boolean pitr) throws Exception {
    c = owned.own(TestCluster.create(TestCluster.runDir(getClass(), info.getDisplayName()), NODES, null));
    c.initAll();
    Set<Integer> taken = new HashSet<>();
    for (String n : NODES) {
      taken.addAll(List.of(c.node(n).listenPort(), c.node(n).listenPort() + 1, c.node(n).apiPort()));
    }
    for (String n : NODES) {
      ports.put(n, Ports.free(taken));
      Files.writeString(c.node(n).config(), "\ngroups:\n  db:\n    nodes: { n1: primary, n2: active, n3: active }\n"
          + "    resources:\n      - postgres:\n          data: \"" + pgData(n) + "\"\n          port: " + ports.get(n) + "\n"
          + "          synchronous: " + synchronous + "\n"
          + "          parameters: { shared_buffers: 16MB, max_connections: 30 }\n", StandardOpenOption.APPEND);
      if (pitr) {
        Path key = c.dir().resolve("backup.key");
        Files.writeString(key, "a long shared secret\n");
        Files.setPosixFilePermissions(key, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        Files.writeString(c.node(n).config(), "backups:\n  nightly: { schedule: daily, groups: [db], repository: \""
            + c.dir().resolve("repo") + "\", password-file: \"" + key + "\", keep: { last: 3 }, pitr: on }\n",
            StandardOpenOption.APPEND);
      }
    }
    c.startAll();
    await("db runs on n1").atMost(FAILOVER).ignoreExceptions().until(() -> c.runsOn("db", "n1", "n1"));
  }

  @Test
  void primaryAndItsPostgresKilled9_replicaPromoted_writesResume_oldPrimaryRewindsAndFollows(TestInfo info) throws Exception {
    startCluster(info, "off");
    exec("n1", "CREATE TABLE t (id int PRIMARY KEY, note text)");
    for (int i = 1; i <= 200; i++) {
      exec("n1", "INSERT INTO t VALUES (" + i + ", 'before the kill')");
    }
    for (String replica : List.of("n2", "n3")) {
      await(replica + " has cloned and received the 200 rows").atMost(CLONE).ignoreExceptions()
          .until(() -> count(replica, "SELECT count(*) FROM t") == 200);
    }
    await("n1's status shows both replicas streaming with a lag").atMost(FAILOVER).ignoreExceptions().until(() ->
        TestCluster.member(c.status("n1"), "db", "n2").path("lag").asText().endsWith(" s")
            && TestCluster.member(c.status("n1"), "db", "n3").path("lag").asText().endsWith(" s"));
    assertThatReplicaRefusesWrites("n2");
    long oldPostmaster = postmasterPid("n1");

    Instant killed = c.kill9("n1");
    ProcessHandle.of(oldPostmaster).ifPresent(ProcessHandle::destroyForcibly);
    String next = c.awaitPrimary("db", "n2", FAILOVER, p -> p != null && !p.equals("n1"));
    await("db runs on " + next).atMost(FAILOVER).ignoreExceptions().until(() -> c.runsOn("db", next, next));
    await("the first write on " + next + " commits").atMost(FAILOVER).ignoreExceptions()
        .until(() -> {
          exec(next, "INSERT INTO t VALUES (1000, 'after the failover')");
          return true;
        });
    System.out.printf("MEASURED kill -9 of n1 and its postgres -> first commit on %s: %d ms%n", next,
        Duration.between(killed, Instant.now()).toMillis());
    assertThat(count(next, "SELECT count(*) FROM t WHERE note = 'before the kill'")).isEqualTo(200);
    String other = next.equals("n2") ? "n3" : "n2";
    await(other + " follows " + next).atMost(FAILOVER).ignoreExceptions()
        .until(() -> count(other, "SELECT count(*) FROM t WHERE id = 1000") == 1);

    c.restart("n1");
    await("n1 rejoins as a replica of " + next + " and gets the new row").atMost(CLONE).ignoreExceptions()
        .until(() -> count("n1", "SELECT count(*) FROM t WHERE id = 1000") == 1);
    assertThatReplicaRefusesWrites("n1");
    // n1 crashed as primary: its crash recovery alone writes a checkpoint past the point where
    // n2's timeline branched off, so it always needs a rewind, and says what it cut.
    await("n1 reports its rewind").atMost(FAILOVER).ignoreExceptions()
        .until(() -> c.hasEvent("n1", "db-rewound", "was never replicated; the data before the rewind is kept in"));
    long epoch = TestCluster.group(c.status("n1"), "db").path("epoch").asLong();
    try (Stream<Path> s = Files.list(c.node("n1").dir())) {
      assertThat(s.map(p -> p.getFileName().toString())).as("n1's pre-rewind copy, named by the epoch it rejoined")
          .anyMatch(n -> n.startsWith("pg.pre-rewind-" + epoch + "-"));
    }
    System.out.println("n1 rejoined: " + events("n1"));
  }

  @Test
  @org.junit.jupiter.api.Timeout(value = 8, unit = java.util.concurrent.TimeUnit.MINUTES) // two failovers and rejoins of real servers
  void synchronousMode_everyAcknowledgedCommitSurvivesTwoFailovers(TestInfo info) throws Exception {
    startCluster(info, "on");
    exec("n1", "CREATE TABLE t (id int PRIMARY KEY)");
    for (String replica : List.of("n2", "n3")) {
      await(replica + " has cloned the database").atMost(CLONE).ignoreExceptions()
          .until(() -> count(replica, "SELECT count(*) FROM t") >= 0);
    }
    Set<Integer> acked = java.util.concurrent.ConcurrentHashMap.newKeySet();
    java.util.concurrent.atomic.AtomicReference<String> target = new java.util.concurrent.atomic.AtomicReference<>("n1");
    java.util.concurrent.atomic.AtomicBoolean writing = new java.util.concurrent.atomic.AtomicBoolean(true);
    Thread writer = Thread.ofVirtual().start(() -> {
      int i = 1;
      while (writing.get()) {
        try {
          exec(target.get(), "INSERT INTO t VALUES (" + i + ")");
          acked.add(i++);
        } catch (SQLException e) {
          if ("23505".equals(e.getSQLState())) {
            // An earlier try committed without an answer: the row is there.
            acked.add(i++);
          } else {
            java.util.concurrent.locks.LockSupport.parkNanos(50_000_000L); // pacing while there is no primary
          }
        } catch (Exception e) {
          java.util.concurrent.locks.LockSupport.parkNanos(50_000_000L);
        }
      }
    });
    try {
      for (int round = 1; round <= 2; round++) {
        String old = target.get();
        int before = acked.size();
        await("commits acknowledged on " + old).atMost(FAILOVER).until(() -> acked.size() >= before + 50);
        long postmaster = postmasterPid(old);
        Instant killed = c.kill9(old);
        ProcessHandle.of(postmaster).ifPresent(ProcessHandle::destroyForcibly);
        String viewer = NODES.stream().filter(n -> !n.equals(old)).findFirst().orElseThrow();
        String next = c.awaitPrimary("db", viewer, FAILOVER, p -> p != null && !p.equals(old));
        target.set(next);
        int atKill = acked.size();
        await("commits acknowledged on " + next).atMost(FAILOVER).until(() -> acked.size() >= atKill + 20);
        System.out.printf("MEASURED synchronous round %d: kill -9 of %s -> commits acknowledged again on %s: %d ms%n", round,
            old, next, Duration.between(killed, Instant.now()).toMillis());
        // What was acknowledged before the read must be in it (later commits may be too, or not yet).
        Set<Integer> ackedBefore = Set.copyOf(acked);
        Set<Integer> present = ids(next);
        Set<Integer> missing = new java.util.TreeSet<>(ackedBefore);
        missing.removeAll(present);
        assertThat(missing).as("acknowledged commits missing on %s after failover %d", next, round).isEmpty();
        c.restart(old);
        await(old + " rejoins as a replica of " + next).atMost(CLONE).ignoreExceptions()
            .until(() -> ids(old).containsAll(present));
      }
    } finally {
      writing.set(false);
      writer.join();
    }
    Set<Integer> onPrimary = ids(target.get());
    assertThat(onPrimary).containsAll(acked);
  }

  @Test
  void switchover_losesNoCommit_andTheOldPrimaryFollowsWithoutRewind_andPitrReachesAcrossIt(TestInfo info) throws Exception {
    startCluster(info, "off", true);
    exec("n1", "CREATE TABLE t (id int PRIMARY KEY)");
    await("n2 has cloned the database").atMost(CLONE).ignoreExceptions().until(() -> count("n2", "SELECT count(*) FROM t") >= 0);
    TestCluster.CliResult base = c.cli("n1", "backup", "run");
    assertThat(base.exitCode()).as(base.output()).isZero();
    for (int i = 1; i <= 300; i++) {
      exec("n1", "INSERT INTO t VALUES (" + i + ")");
    }
    // No wait for the replica: the switchover itself must bring it to n1's last commit.
    Instant asked = Instant.now();
    TestCluster.CliResult r = c.cli("n1", "switchover", "db", "--to", "n2");
    assertThat(r.exitCode()).as(r.output()).isZero();
    await("db runs on n2").atMost(FAILOVER).ignoreExceptions().until(() -> c.runsOn("db", "n2", "n2"));
    exec("n2", "INSERT INTO t VALUES (1000)");
    System.out.printf("MEASURED switchover n1 -> n2, to the first commit on n2: %d ms%n", Duration.between(asked, Instant.now()).toMillis());
    assertThat(count("n2", "SELECT count(*) FROM t WHERE id <= 300")).isEqualTo(300);
    await("n1 follows n2").atMost(CLONE).ignoreExceptions().until(() -> count("n1", "SELECT count(*) FROM t WHERE id = 1000") == 1);
    // The event comes once the rejoin returns, which may be just after the standby started streaming (CI once read the
    // events in between). A rewind would be a `db-rewound` event instead, and this would time out.
    await("n1 reports that it follows n2 without a rewind").atMost(CLONE)
        .until(() -> c.hasEvent("n1", "db-following", "no rewind required") || c.hasEvent("n1", "db-rewound", ""));
    assertThat(c.hasEvent("n1", "db-following", "no rewind required")).as(events("n1")).isTrue();
    try (Stream<Path> s = Files.list(c.node("n1").dir())) {
      assertThat(s.map(p -> p.getFileName().toString())).as("nothing to keep after a clean switchover")
          .noneMatch(n -> n.startsWith("pg.pre-"));
    }

    // pitr: on: n1 archived timeline 1, n2 archives timeline 2 after the switchover; the agents push both.
    Instant moment = serverNow("n2");
    exec("n2", "INSERT INTO t VALUES (1001)");
    exec("n2", "SELECT pg_switch_wal()");
    int[] attempt = {0};
    Path[] recovered = {null};
    await("tandem pitr reaches a moment after the switchover once n2's agent has pushed its WAL").atMost(FAILOVER)
        .pollInterval(Duration.ofSeconds(3)).until(() -> {
          Path target = c.dir().resolve("pitr-" + attempt[0]++);
          TestCluster.CliResult tried = c.cli("n2", "pitr", "-g", "db", "--to", moment.toString(), "--target", target.toString());
          System.out.println("pitr attempt " + attempt[0] + ": " + tried.output());
          recovered[0] = tried.exitCode() == 0 ? target : null;
          return recovered[0] != null;
        });
    assertThat(idsOfCopy(recovered[0], "n2")).as("rows up to the moment, on both timelines, and not the one after")
        .hasSize(301).contains(1, 300, 1000).doesNotContain(1001);
  }

  private Instant serverNow(String node) throws Exception {
    try (Connection conn = connect(node); Statement st = conn.createStatement(); ResultSet rs = st.executeQuery("SELECT clock_timestamp()")) {
      rs.next();
      return rs.getTimestamp(1).toInstant();
    }
  }

  /** The ids of t in a recovered data directory, started for the question on a port of its own and stopped again. */
  private Set<Integer> idsOfCopy(Path data, String passwordsOf) throws Exception {
    int port = Ports.free(new HashSet<>(ports.values()));
    String pgCtl = tandem.db.postgres.PgBin.find(java.util.Optional.empty()).resolve("pg_ctl").toString();
    Process start = new ProcessBuilder("runuser", "-u", "postgres", "--", pgCtl, "-D", data.toString(), "-l",
        data.resolve("check.log").toString(), "-w", "-o", "-p " + port + " -c listen_addresses=127.0.0.1 -c unix_socket_directories=''",
        "start").redirectErrorStream(true).start();
    String out = new String(start.getInputStream().readAllBytes());
    assertThat(start.waitFor()).as(out).isZero();
    try {
      Properties secrets = new Properties();
      secrets.load(new StringReader(Files.readString(c.node(passwordsOf).dataDir().resolve("postgres/db-0.secrets"))));
      Properties p = new Properties();
      p.setProperty("user", "tandem_admin");
      p.setProperty("password", secrets.getProperty("admin"));
      Set<Integer> ids = new HashSet<>();
      try (Connection conn = DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + port + "/postgres", p);
          Statement st = conn.createStatement(); ResultSet rs = st.executeQuery("SELECT id FROM t")) {
        while (rs.next()) {
          ids.add(rs.getInt(1));
        }
      }
      return ids;
    } finally {
      new ProcessBuilder("runuser", "-u", "postgres", "--", pgCtl, "-D", data.toString(), "-m", "fast", "-w", "stop")
          .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start().waitFor();
    }
  }

  private Set<Integer> ids(String node) throws Exception {
    Set<Integer> out = new HashSet<>();
    try (Connection conn = connect(node); Statement st = conn.createStatement(); ResultSet rs = st.executeQuery("SELECT id FROM t")) {
      while (rs.next()) {
        out.add(rs.getInt(1));
      }
    }
    return out;
  }

  private void assertThatReplicaRefusesWrites(String node) throws Exception {
    try {
      exec(node, "INSERT INTO t VALUES (-1, 'on a replica')");
    } catch (SQLException e) {
      assertThat(e.getMessage()).contains("read-only transaction");
      return;
    }
    throw new AssertionError(node + " accepted a write as a replica");
  }

  private String events(String node) throws Exception {
    StringBuilder sb = new StringBuilder();
    for (var e : c.events(node)) {
      String kind = e.path("event").path("kind").asText();
      if (kind.startsWith("db-")) {
        sb.append("\n  ").append(kind).append(": ").append(e.path("event").path("message").asText());
      }
    }
    return sb.toString();
  }

  @AfterEach
  void stopPostgres() {
    if (c == null) {
      return;
    }
    // Agents first: one still cloning or rejoining would start its server again after this.
    c.close();
    for (String n : NODES) {
      try {
        ProcessHandle.of(postmasterPid(n)).ifPresent(ProcessHandle::destroyForcibly);
      } catch (IOException | RuntimeException e) {
        // no server ran there
      }
    }
  }

  private Path pgData(String node) {
    return c.node(node).dir().resolve("pg");
  }

  private long postmasterPid(String node) throws IOException {
    return Long.parseLong(Files.readAllLines(pgData(node).resolve("postmaster.pid")).getFirst().trim());
  }

  private Connection connect(String node) throws Exception {
    Properties secrets = new Properties();
    secrets.load(new StringReader(Files.readString(c.node(node).dataDir().resolve("postgres/db-0.secrets"))));
    Properties p = new Properties();
    p.setProperty("user", "tandem_admin");
    p.setProperty("password", secrets.getProperty("admin"));
    p.setProperty("connectTimeout", "3");
    p.setProperty("socketTimeout", "10");
    return DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + ports.get(node) + "/postgres", p);
  }

  private void exec(String node, String sql) throws Exception {
    try (Connection conn = connect(node); Statement st = conn.createStatement()) {
      st.execute(sql);
    }
  }

  private long count(String node, String sql) throws Exception {
    try (Connection conn = connect(node); Statement st = conn.createStatement(); ResultSet rs = st.executeQuery(sql)) {
      rs.next();
      return rs.getLong(1);
    }
  }
}
