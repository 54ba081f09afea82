package tandem.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.extension.RegisterExtension;
import tandem.it.harness.MariadbGroups;
import tandem.it.harness.OwnedCluster;
import tandem.it.harness.TestCluster;

/**
 * Two MariaDB groups on the same two agents and a witness, one per replication mode, so that one
 * cluster and one kill -9 serve both stories (each group has its own servers; what happens to one
 * cannot pass the other's assertions):
 *
 * <ul>
 *   <li>{@code db}, replicated by GTID: n1 bootstraps it, n2 clones it from n1's backup stream (over
 *       the agents' transport) and replicates. The replica is cut off and n1 commits a row nobody
 *       receives. After the kill n2 is promoted and writes resume with every row it had; n1,
 *       restarted, reports its errant transaction, saves it as SQL and replicates from n2. A planned
 *       switchover back to n1 while the app writes loses no acknowledged row. (Re-pointing a second
 *       replica is MariadbReplicationTest's.)
 *   <li>{@code dumped}, with {@code replication: dump}: n1 runs without binlog, n2 clones it once and
 *       then installs a dump of n1 every 10 s. Status on both nodes states n2's data-loss window; a
 *       dump that fails is an event, and so is the next one that works. n1 takes a write just after
 *       a copy and is killed: n2 is promoted without that write and says how much time of writes was
 *       lost; n1, restarted, keeps its old data dir aside, says where, and becomes n2's replica. A
 *       switchover back to n1 under the app's writes loses none: n2, demoted, runs read-only until n1
 *       has taken a last copy of it.
 * </ul>
 */
@org.junit.jupiter.api.Timeout(value = 6, unit = java.util.concurrent.TimeUnit.MINUTES) // real servers on a shared 2-core machine
class MariadbFailoverTest {
  private static final Duration FAILOVER = Duration.ofSeconds(60);
  private static final Duration CLONE = Duration.ofSeconds(120);
  private static final List<String> NODES = List.of("n1", "n2");
  private static final String GTID = "db";
  private static final String DUMP = "dumped";
  private static final Pattern AGE = Pattern.compile("replication: dump, last copy (\\d+)s ago; a failover now loses up to"
      + " \\1s of writes");

  @RegisterExtension final OwnedCluster owned = new OwnedCluster();
  private TestCluster c;
  private MariadbGroups m;

  @Test
  void primaryAndItsMariadbsKilled9_replicasPromoted_gtidKeepsEveryReceivedRow_dumpLosesOnlyWritesAfterTheLastCopy_oldPrimaryReturnsWithNothingLostSilently_switchoversBackLoseNoWrite(
      TestInfo info) throws Exception {
    c = owned.own(TestCluster.create(TestCluster.runDir(getClass(), info.getDisplayName()), NODES, "n3"));
    c.initAll();
    Map<String, String> groups = new LinkedHashMap<>();
    groups.put(GTID, "max-lag-on-failover: 5s\n");
    groups.put(DUMP, "replication: dump\ndump-interval: 10s\n");
    m = MariadbGroups.declare(c, NODES, groups);
    c.startAll();
    await("both groups run on n1").atMost(FAILOVER).ignoreExceptions()
        .until(() -> c.runsOn(GTID, "n1", "n1") && c.runsOn(DUMP, "n1", "n1"));

    // GTID: a schema, the app's account and 200 rows, each its own transaction.
    for (String sql : List.of("CREATE DATABASE shop", "CREATE TABLE shop.t (id int PRIMARY KEY, note varchar(100))",
        "CREATE USER 'app'@'127.0.0.1' IDENTIFIED BY 'app-pw'", "GRANT SELECT, INSERT ON shop.* TO 'app'@'127.0.0.1'")) {
      m.exec(GTID, "n1", sql);
      m.exec(DUMP, "n1", sql);
    }
    assertThat(m.count(DUMP, "n1", "SELECT @@log_bin")).as("no binlog with replication: dump").isZero();
    m.exec(DUMP, "n1", "INSERT INTO shop.t SELECT seq, 'before the clone' FROM shop.seq_1_to_200");
    for (int i = 1; i <= 200; i++) {
      m.exec(GTID, "n1", "INSERT INTO shop.t VALUES (" + i + ", 'before the kill')");
    }
    await("n2 has cloned and received the 200 rows").atMost(CLONE).ignoreExceptions()
        .until(() -> m.count(GTID, "n2", "SELECT count(*) FROM shop.t") == 200);
    await("status shows n2 replicating, on n2 (its delay) and on n1 (connected), with the GTID distance").atMost(FAILOVER)
        .ignoreExceptions().until(() -> TestCluster.member(c.status("n2"), GTID, "n2").path("lag").asText()
            .matches("\\d+\\.\\d s \\(streaming\\), 0 tx behind")
            && TestCluster.member(c.status("n1"), GTID, "n2").path("lag").asText().equals("streaming (async), 0 tx behind"));
    m.assertThatReplicaRefusesTheApp(GTID, "n2");

    // Dump: the clone, then a dump brings what was written after it.
    await("n2 has cloned n1 (dump)").atMost(CLONE).ignoreExceptions()
        .until(() -> m.count(DUMP, "n2", "SELECT count(*) FROM shop.t") == 200);
    m.exec(DUMP, "n1", "INSERT INTO shop.t SELECT seq, 'after the clone' FROM shop.seq_201_to_300");
    Instant written = Instant.now();
    await("a dump brings n2 the rows written after the clone").atMost(FAILOVER).ignoreExceptions()
        .until(() -> m.count(DUMP, "n2", "SELECT count(*) FROM shop.t") == 300);
    System.out.printf("MEASURED write on n1 -> visible on n2 by dump (interval 10s): %d ms%n",
        Duration.between(written, Instant.now()).toMillis());
    m.assertThatReplicaRefusesTheApp(DUMP, "n2");
    await("status on n2 and on n1 states n2's loss window").atMost(FAILOVER).ignoreExceptions()
        .until(() -> AGE.matcher(TestCluster.member(c.status("n2"), DUMP, "n2").path("lag").asText()).matches()
            && AGE.matcher(TestCluster.member(c.status("n1"), DUMP, "n2").path("lag").asText()).matches());
    assertThat(TestCluster.member(c.status("n2"), DUMP, "n1").path("lag").asText()).isEmpty();
    assertThat(c.metrics("n2")).contains("tandem_db_last_copy_age_seconds{");

    // Dump: one that fails (a MERGE table whose underlying table is gone cannot be read) is an event; the copy stays.
    m.exec(DUMP, "n1", "CREATE TABLE shop.part (i int) ENGINE=MyISAM");
    m.exec(DUMP, "n1", "CREATE TABLE shop.broken (i int) ENGINE=MERGE UNION=(shop.part)");
    m.exec(DUMP, "n1", "DROP TABLE shop.part");
    m.exec(DUMP, "n1", "INSERT INTO shop.t VALUES (301, 'while dumps fail')");
    await("n2 reports the failed dump").atMost(FAILOVER).ignoreExceptions()
        .until(() -> c.hasEvent("n2", "db-dump-failed", "could not take its dump of n1"));
    assertThat(TestCluster.member(c.status("n2"), DUMP, "n2").path("lag").asText()).contains("its last dump failed");
    assertThat(m.count(DUMP, "n2", "SELECT count(*) FROM shop.t")).as("the previous copy stays").isEqualTo(300);
    m.exec(DUMP, "n1", "DROP TABLE shop.broken");
    await("the next dump works and says so").atMost(FAILOVER).ignoreExceptions()
        .until(() -> c.hasEvent("n2", "db-dump-recovered", "installed a dump of n1 again")
            && m.count(DUMP, "n2", "SELECT count(*) FROM shop.t") == 301);

    // GTID: the replica is cut off, then a write only n1 ever gets.
    m.exec(GTID, "n2", "STOP SLAVE IO_THREAD");
    m.exec(GTID, "n1", "INSERT INTO shop.t VALUES (500, 'errant: only on n1')");
    // Dump: right after a copy, a write no copy will have.
    await("a fresh copy on n2").atMost(FAILOVER).pollInterval(Duration.ofMillis(200)).ignoreExceptions()
        .until(() -> age(TestCluster.member(c.status("n2"), DUMP, "n2").path("lag").asText()) <= 1);
    m.exec(DUMP, "n1", "INSERT INTO shop.t VALUES (400, 'lost: after the last copy')");

    // n1 dies with both its servers.
    List<Long> servers = List.of(m.serverPid(GTID, "n1"), m.serverPid(DUMP, "n1"));
    Instant killed = c.kill9("n1");
    servers.forEach(pid -> ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly));
    Map<String, Instant> firstCommit = new ConcurrentHashMap<>();
    await("each group runs on n2 and takes its first write there").atMost(FAILOVER).ignoreExceptions().until(() -> {
      // tandem_admin could write past read_only: the GTID group is written only once n2 runs it as primary.
      if (!firstCommit.containsKey(GTID) && c.runsOn(GTID, "n2", "n2")) {
        m.exec(GTID, "n2", "INSERT INTO shop.t VALUES (1000, 'after the failover')");
        firstCommit.put(GTID, Instant.now());
      }
      if (!firstCommit.containsKey(DUMP) && c.runsOn(DUMP, "n2", "n2")) {
        m.asApp(DUMP, "n2", "INSERT INTO shop.t VALUES (1000, 'after the failover')");
        firstCommit.put(DUMP, Instant.now());
      }
      return firstCommit.size() == 2;
    });
    assertThat(c.primaryOf(GTID, "n2")).isEqualTo("n2");
    assertThat(c.primaryOf(DUMP, "n2")).isEqualTo("n2");
    System.out.printf("MEASURED kill -9 of n1 and its mariadbd -> first commit on n2: %d ms%n",
        Duration.between(killed, firstCommit.get(GTID)).toMillis());
    System.out.printf("MEASURED kill -9 of n1 and its mariadbd -> first commit on n2 (replication: dump): %d ms%n",
        Duration.between(killed, firstCommit.get(DUMP)).toMillis());
    assertThat(m.count(GTID, "n2", "SELECT count(*) FROM shop.t WHERE note = 'before the kill'")).isEqualTo(200);
    assertThat(m.count(DUMP, "n2", "SELECT count(*) FROM shop.t WHERE id = 400")).as("the write after the last copy is lost")
        .isZero();
    assertThat(m.count(DUMP, "n2", "SELECT count(*) FROM shop.t WHERE id <= 301")).isEqualTo(301);
    await("n2 says how much time of writes was lost").atMost(FAILOVER).ignoreExceptions()
        .until(() -> c.hasEvent("n2", "db-writes-lost", "writes the old primary took after that are not in it, up to"));

    // n1 returns: as a replica of n2 in both groups, nothing of its own lost silently.
    c.restart("n1");
    await("n1 rejoins as a replica of n2 and gets the new row").atMost(CLONE).ignoreExceptions()
        .until(() -> m.count(GTID, "n1", "SELECT count(*) FROM shop.t WHERE id = 1000") == 1
            && m.count(DUMP, "n1", "SELECT count(*) FROM shop.t WHERE id = 1000") == 1);
    await("n1 reports its errant transaction").atMost(FAILOVER).ignoreExceptions()
        .until(() -> c.hasEvent("n1", "db-errant-transactions", "1 errant transaction existed only here"));
    assertThat(m.count(GTID, "n1", "SELECT count(*) FROM shop.t WHERE id = 500")).as("not in the live data").isZero();
    try (Stream<Path> s = Files.list(c.node("n1").dir())) {
      Path sql = s.filter(p -> p.getFileName().toString().startsWith("mysql.errant-")).findFirst().orElseThrow();
      assertThat(Files.readString(sql)).contains("errant: only on n1");
    }
    m.assertThatReplicaRefusesTheApp(GTID, "n1");
    String keptName = m.data(DUMP, "n1").getFileName() + ".old-primary-";
    Path kept = c.node("n1").dir().resolve(keptName);
    await("n1 says where its old data dir is kept").atMost(FAILOVER).ignoreExceptions()
        .until(() -> c.hasEvent("n1", "db-cloned", "its old data directory is kept in " + kept));
    try (Stream<Path> s = Files.list(c.node("n1").dir())) {
      Path dir = s.filter(p -> p.getFileName().toString().startsWith(keptName)).findFirst().orElseThrow();
      assertThat(dir.resolve("shop/t.ibd")).exists();
    }
    assertThat(m.count(DUMP, "n1", "SELECT count(*) FROM shop.t WHERE id = 400")).as("not in the live data").isZero();
    m.assertThatReplicaRefusesTheApp(DUMP, "n1");

    // Planned switchovers back to n1 under the app's writes: no acknowledged row is lost.
    MariadbGroups.Switched gtid = m.switchoverUnderWrites(GTID, "n2", "n1", FAILOVER);
    System.out.printf("MEASURED switchover n2 -> n1 under writes: %d ms to done, %d writes refused meanwhile%n",
        gtid.took().toMillis(), gtid.refused());
    Set<Integer> onN1 = m.appRows(GTID, "n1");
    assertThat(onN1).as("every acknowledged write is on the new primary").containsAll(gtid.acked());
    await("n2 follows n1").atMost(CLONE).ignoreExceptions()
        .until(() -> m.count(GTID, "n2", "SELECT count(*) FROM shop.t WHERE id >= 2000") == onN1.size());
    m.assertThatReplicaRefusesTheApp(GTID, "n2");
    // With dumps n2 is fenced but still runs, and n1 takes a last copy of it before its promotion.
    MariadbGroups.Switched dump = m.switchoverUnderWrites(DUMP, "n2", "n1", FAILOVER);
    System.out.printf("MEASURED switchover n2 -> n1 under writes (replication: dump): %d ms%n", dump.took().toMillis());
    assertThat(m.appRows(DUMP, "n1")).as("every acknowledged write is on the new primary").containsAll(dump.acked());
    await("n1 says its last copy lost nothing").atMost(FAILOVER).ignoreExceptions()
        .until(() -> c.hasEvent("n1", "db-final-copy", "no write was lost"));

    // max-lag-on-failover: 5s. Above, n2 lacked one write only just made, and was promoted. Now it misses 8 s of
    // writes before n1 dies: it is not promoted, and status and the leader's event say by how much.
    m.exec(GTID, "n2", "STOP SLAVE IO_THREAD");
    Instant cut = Instant.now();
    int missed = 0;
    try (var conn = m.connect(GTID, "n1"); var st = conn.createStatement()) {
      for (int i = 5000; Duration.between(cut, Instant.now()).compareTo(Duration.ofSeconds(8)) < 0; i++) {
        st.execute("INSERT INTO shop.t VALUES (" + i + ", 'n2 misses it')");
        missed++;
      }
    }
    List<Long> again = List.of(m.serverPid(GTID, "n1"), m.serverPid(DUMP, "n1"));
    c.kill9("n1");
    again.forEach(pid -> ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly));
    Pattern behind = Pattern.compile("n2 was (\\d+(\\.\\d)?)s behind the old primary at its last report"
        + " \\(max-lag-on-failover 5s\\)");
    String why = await("the leader refuses to promote n2 and says why").atMost(FAILOVER).ignoreExceptions()
        .until(() -> TestCluster.group(c.status("n2"), GTID).path("why").asText(), w -> behind.matcher(w).find());
    Matcher lag = behind.matcher(why);
    assertThat(lag.find()).isTrue();
    assertThat(Double.parseDouble(lag.group(1))).as(why + " (" + missed + " writes missed)").isBetween(5.0, 9.0);
    assertThat(c.primaryOf(GTID, "n2")).as("n2 is not promoted").isEqualTo("n1");
    await("the leader's event says so too").atMost(FAILOVER).ignoreExceptions()
        .until(() -> c.hasEvent("n2", "failover-impossible", "n2 was ") || c.hasEvent("n3", "failover-impossible", "n2 was "));
    assertThat(m.count(GTID, "n2", "SELECT @@read_only")).as("n2 still runs as a read-only replica").isOne();
  }

  /** The seconds in "replication: dump, last copy 3s ago; ..." (a large number when it does not match). */
  private static long age(String lag) {
    Matcher a = AGE.matcher(lag);
    return a.matches() ? Long.parseLong(a.group(1)) : Long.MAX_VALUE;
  }

  @AfterEach
  void stopMariadb() {
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
