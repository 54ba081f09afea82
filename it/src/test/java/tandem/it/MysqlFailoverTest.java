package tandem.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.extension.RegisterExtension;
import tandem.it.harness.MariadbGroups;
import tandem.it.harness.OwnedCluster;
import tandem.it.harness.TestCluster;

/**
 * Two MySQL groups ({@code mysql:} resources, real MySQL servers) on two agents and a witness,
 * through the CLI and the agents as a user runs them:
 *
 * <ul>
 *   <li>{@code db}, asynchronous: n1 bootstraps it, n2 clones it with the clone plugin and
 *       replicates by GTID auto-position. The replica is cut off and n1 commits a row nobody
 *       receives. After kill -9 of n1 and its mysqld, n2 is promoted and writes resume with every
 *       row it had; n1, restarted, reports its errant transaction, saves it as SQL, is cloned afresh
 *       and replicates from n2. A switchover back to n1 under the app's writes loses no
 *       acknowledged row.
 *   <li>{@code sync}, {@code semi-sync: 10s}: every row the app had acknowledged before the kill is
 *       on n2 after it; the promoted n2 finds its only standby silent and stops waiting at once
 *       (an event says so), and waits again once n1 streams from it.
 * </ul>
 */
@org.junit.jupiter.api.Timeout(value = 6, unit = java.util.concurrent.TimeUnit.MINUTES) // real servers on a shared 2-core machine
class MysqlFailoverTest {
  private static final Duration FAILOVER = Duration.ofSeconds(60);
  private static final Duration CLONE = Duration.ofSeconds(120);
  private static final List<String> NODES = List.of("n1", "n2");
  private static final String ASYNC = "db";
  private static final String SYNC = "sync";
  private static final String SEMI_SYNC_STATUS = "SELECT VARIABLE_VALUE FROM performance_schema.global_status"
      + " WHERE VARIABLE_NAME = 'Rpl_semi_sync_source_status'";

  @RegisterExtension final OwnedCluster owned = new OwnedCluster();
  private TestCluster c;
  private MariadbGroups m;

  @Test
  void primaryAndItsMysqldKilled9_replicaPromoted_semiSyncKeepsEveryAcknowledgedRow_oldPrimaryReturnsWithItsErrantWriteSaved_switchoverBackLosesNoWrite(
      TestInfo info) throws Exception {
    c = owned.own(TestCluster.create(TestCluster.runDir(getClass(), info.getDisplayName()), NODES, "n3"));
    c.initAll();
    Map<String, String> groups = new LinkedHashMap<>();
    groups.put(ASYNC, "max-lag-on-failover: 5s\n");
    groups.put(SYNC, "semi-sync: 10s\n");
    m = MariadbGroups.declare(c, NODES, groups, true);
    TestCluster.CliResult check = c.cli("n1", "check-config");
    assertThat(check.exitCode()).as(check.output()).isZero();
    assertThat(check.output()).contains("group db: mysql ").contains("group sync: mysql ");
    c.startAll();
    await("both groups run on n1").atMost(FAILOVER).ignoreExceptions()
        .until(() -> c.runsOn(ASYNC, "n1", "n1") && c.runsOn(SYNC, "n1", "n1"));

    for (String group : groups.keySet()) {
      for (String sql : List.of("CREATE DATABASE shop", "CREATE TABLE shop.t (id int PRIMARY KEY, note varchar(100))",
          "CREATE USER 'app'@'127.0.0.1' IDENTIFIED BY 'app-pw'", "GRANT SELECT, INSERT ON shop.* TO 'app'@'127.0.0.1'")) {
        m.exec(group, "n1", sql);
      }
    }
    assertThat(m.queryOne(ASYNC, "n1", "SELECT @@version")).startsWith("9.");
    for (int i = 1; i <= 200; i++) {
      m.exec(ASYNC, "n1", "INSERT INTO shop.t VALUES (" + i + ", 'before the kill')");
    }
    await("n2 has cloned and received the 200 rows").atMost(CLONE).ignoreExceptions()
        .until(() -> m.count(ASYNC, "n2", "SELECT count(*) FROM shop.t") == 200);
    await("status shows n2 replicating, on n2 (its delay) and on n1 (connected), with the GTID distance").atMost(FAILOVER)
        .ignoreExceptions().until(() -> TestCluster.member(c.status("n2"), ASYNC, "n2").path("lag").asText()
            .matches("\\d+\\.\\d s \\(streaming\\), 0 tx behind")
            && TestCluster.member(c.status("n1"), ASYNC, "n2").path("lag").asText().equals("streaming (async), 0 tx behind"));
    m.assertThatReplicaRefusesTheApp(ASYNC, "n2");

    // Semi-sync: once n2 streams, commits on n1 wait for its acknowledgement.
    await("n2 streams the sync group and n1's commits wait for it").atMost(CLONE).ignoreExceptions()
        .until(() -> "ON".equals(m.queryOne(SYNC, "n1", SEMI_SYNC_STATUS))
            && TestCluster.member(c.status("n1"), SYNC, "n2").path("lag").asText().startsWith("streaming (semi-sync)"));
    Set<Integer> acked = new HashSet<>();
    for (int i = 1; i <= 100; i++) {
      m.asApp(SYNC, "n1", "INSERT INTO shop.t VALUES (" + i + ", 'acknowledged')");
      acked.add(i);
    }
    assertThat(m.count(SYNC, "n1", "SELECT VARIABLE_VALUE FROM performance_schema.global_status"
        + " WHERE VARIABLE_NAME = 'Rpl_semi_sync_source_yes_tx'")).as("commits acknowledged by n2").isGreaterThanOrEqualTo(100);

    // The async replica is cut off, then a write only n1 ever gets.
    m.exec(ASYNC, "n2", "STOP REPLICA IO_THREAD");
    m.exec(ASYNC, "n1", "INSERT INTO shop.t VALUES (500, 'errant: only on n1')");

    List<Long> servers = List.of(m.serverPid(ASYNC, "n1"), m.serverPid(SYNC, "n1"));
    Instant killed = c.kill9("n1");
    servers.forEach(pid -> ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly));
    Map<String, Instant> firstCommit = new ConcurrentHashMap<>();
    await("each group runs on n2 and takes its first write there").atMost(FAILOVER).ignoreExceptions().until(() -> {
      for (String group : groups.keySet()) {
        if (!firstCommit.containsKey(group) && c.runsOn(group, "n2", "n2")) {
          m.asApp(group, "n2", "INSERT INTO shop.t VALUES (1000, 'after the failover')");
          firstCommit.put(group, Instant.now());
        }
      }
      return firstCommit.size() == 2;
    });
    System.out.printf("MEASURED kill -9 of n1 and its mysqld -> first commit on n2: %d ms (async), %d ms (semi-sync)%n",
        Duration.between(killed, firstCommit.get(ASYNC)).toMillis(), Duration.between(killed, firstCommit.get(SYNC)).toMillis());
    assertThat(c.primaryOf(ASYNC, "n2")).isEqualTo("n2");
    assertThat(m.count(ASYNC, "n2", "SELECT count(*) FROM shop.t WHERE note = 'before the kill'")).isEqualTo(200);
    assertThat(m.count(ASYNC, "n2", "SELECT count(*) FROM shop.t WHERE id = 500")).isZero();
    assertThat(appRows(SYNC, "n2")).as("every acknowledged commit survived the kill").containsAll(acked);
    await("n2 says its commits stopped waiting for the silent n1").atMost(FAILOVER).ignoreExceptions()
        .until(() -> c.hasEvent("n2", "db-synchronous-fallback", "n1"));

    // n1 returns as a replica of n2 in both groups; its errant write is saved, not lost silently.
    c.restart("n1");
    await("n1 rejoins both groups as a replica of n2 and gets the new rows").atMost(CLONE).ignoreExceptions()
        .until(() -> m.count(ASYNC, "n1", "SELECT count(*) FROM shop.t WHERE id = 1000") == 1
            && m.count(SYNC, "n1", "SELECT count(*) FROM shop.t WHERE id = 1000") == 1);
    await("n1 reports its errant transaction").atMost(FAILOVER).ignoreExceptions()
        .until(() -> c.hasEvent("n1", "db-errant-transactions", "1 errant transaction existed only here"));
    assertThat(m.count(ASYNC, "n1", "SELECT count(*) FROM shop.t WHERE id = 500")).as("not in the live data").isZero();
    try (Stream<Path> s = Files.list(c.node("n1").dir())) {
      Path sql = s.filter(p -> p.getFileName().toString().startsWith("mysql.errant-")).findFirst().orElseThrow();
      assertThat(Files.readString(sql)).contains("errant: only on n1").contains("INSERT INTO `shop`.`t`");
    }
    m.assertThatReplicaRefusesTheApp(ASYNC, "n1");
    m.assertThatReplicaRefusesTheApp(SYNC, "n1");
    await("n2's commits wait for n1 again").atMost(FAILOVER).ignoreExceptions()
        .until(() -> "ON".equals(m.queryOne(SYNC, "n2", SEMI_SYNC_STATUS)));

    // A planned switchover back to n1 under the app's writes: no acknowledged row is lost.
    MariadbGroups.Switched back = m.switchoverUnderWrites(ASYNC, "n2", "n1", FAILOVER);
    System.out.printf("MEASURED switchover n2 -> n1 under writes: %d ms to done, %d writes refused meanwhile%n",
        back.took().toMillis(), back.refused());
    Set<Integer> onN1 = m.appRows(ASYNC, "n1");
    assertThat(onN1).as("every acknowledged write is on the new primary").containsAll(back.acked());
    await("n2 follows n1").atMost(CLONE).ignoreExceptions()
        .until(() -> m.count(ASYNC, "n2", "SELECT count(*) FROM shop.t WHERE id >= 2000") == onN1.size());
    m.assertThatReplicaRefusesTheApp(ASYNC, "n2");
  }

  private Set<Integer> appRows(String group, String node) throws Exception {
    Set<Integer> out = new HashSet<>();
    try (Connection conn = m.connect(group, node); Statement st = conn.createStatement();
        var rs = st.executeQuery("SELECT id FROM shop.t")) {
      while (rs.next()) {
        out.add(rs.getInt(1));
      }
    } catch (SQLException e) {
      throw new AssertionError("cannot read shop.t on " + node + ": " + e.getMessage(), e);
    }
    return out;
  }

  @AfterEach
  void stopMysql() {
    if (c == null) {
      return;
    }
    // Agents first: one still cloning or rejoining would start its server again after this.
    c.close();
    if (m != null) {
      m.close();
    }
  }
}
