package tandem.db.mariadb;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static tandem.db.mariadb.MyNodes.exec;
import static tandem.db.mariadb.MyNodes.ids;
import static tandem.db.mariadb.MyNodes.upstream;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import tandem.db.Rejoin;

/**
 * A planned hand-over with real MariaDB servers while the application writes: the primary is
 * demoted as tandem demotes it (fenced, still running), the replica is promoted (after it received
 * the rest of the old primary's binlog), and every row the application saw acknowledged is there,
 * round after round, with the roles swapped each time. The integration test of the switchover
 * (MariadbFailoverTest) lost the row acknowledged just before the fence when the demoted primary
 * was shut down instead, even with SHUTDOWN WAIT FOR ALL SLAVES after its dump thread said it had
 * sent everything.
 */
class MariadbStopUnderWritesTest {
  private static final Duration WAIT = Duration.ofSeconds(60);
  private static final int ROUNDS = 6;

  @Test
  void primaryDemotedUnderAWriteLoop_promotedReplicaHasEveryAcknowledgedRow() throws Exception {
    try (MyNodes nodes = new MyNodes("stop-under-writes")) {
      MariadbEngine[] e = {nodes.node("n1"), nodes.node("n2")};
      String[] name = {"n1", "n2"};
      e[0].bootstrap();
      e[0].startPrimary();
      exec(e[0], "CREATE DATABASE shop", "CREATE TABLE shop.t (id int PRIMARY KEY)",
          "CREATE USER 'app'@'127.0.0.1' IDENTIFIED BY 'app-pw'", "GRANT SELECT, INSERT ON shop.* TO 'app'@'127.0.0.1'");
      assertThat(e[1].rejoin(upstream(e[0], "n1", 1), "1-n2").how()).isEqualTo(Rejoin.How.CLONED);
      // The state tandem waits for before it shuts a primary down (MariadbEngine#stop): the text must be the server's.
      await("n1's binlog dump to n2 has sent everything").atMost(WAIT).until(() -> MyNodes.count(e[0],
          "SELECT count(*) FROM information_schema.PROCESSLIST WHERE COMMAND = 'Binlog Dump'"
              + " AND STATE = 'Master has sent all binlog to slave; waiting for more updates'") == 1);
      AtomicLong next = new AtomicLong();
      int p = 0;
      for (int round = 1; round <= ROUNDS; round++) {
        MariadbEngine primary = e[p];
        MariadbEngine replica = e[1 - p];
        Set<Long> acked = ConcurrentHashMap.newKeySet();
        AtomicBoolean writing = new AtomicBoolean(true);
        // Four writers, a connection per row as a PHP app makes them: commits are in flight when the fence comes.
        java.util.List<Thread> writers = new java.util.ArrayList<>();
        for (int w = 0; w < 4; w++) {
          writers.add(Thread.ofPlatform().start(() -> {
            while (writing.get()) {
              try (Connection c = DriverManager.getConnection("jdbc:mariadb://127.0.0.1:" + port(primary)
                  + "/shop?user=app&password=app-pw&connectTimeout=2000"); Statement st = c.createStatement()) {
                long id = next.incrementAndGet();
                st.execute("INSERT INTO t VALUES (" + id + ")");
                acked.add(id);
              } catch (SQLException refused) {
                // fenced, killed or shut down: refused until the round ends
              }
            }
          }));
        }
        try {
          await("round " + round + ": the app writes on " + name[p]).atMost(WAIT).until(() -> acked.size() >= 200);
          primary.demote();
        } finally {
          writing.set(false);
          for (Thread t : writers) {
            t.join();
          }
        }
        assertThat(primary.running()).as("a demoted primary runs on, fenced").isTrue();
        replica.promote();
        assertThat(Set.copyOf(ids(replica, "SELECT id FROM shop.t")))
            .as("round %d: every row acknowledged on %s is on %s after the hand-over", round, name[p], name[1 - p])
            .containsAll(acked);
        Rejoin back = primary.rejoin(upstream(replica, name[1 - p], round + 1), (round + 1) + "-" + name[p]);
        assertThat(back.how()).as("round %d: %s", round, back.detail()).isEqualTo(Rejoin.How.FOLLOWED);
        p = 1 - p;
      }
    }
  }

  /**
   * The replica's stream is behind when the primary is demoted (its IO thread was stopped while rows were acknowledged,
   * and only restarts now): the promotion waits for the rest of the old primary's binlog instead of promoting what
   * happens to have arrived.
   */
  @Test
  void replicaBehindAtTheDemotion_promotionFirstReceivesTheRestOfTheOldPrimarysBinlog() throws Exception {
    try (MyNodes nodes = new MyNodes("behind-at-demotion")) {
      MariadbEngine n1 = nodes.node("n1");
      MariadbEngine n2 = nodes.node("n2");
      n1.bootstrap();
      n1.startPrimary();
      exec(n1, "CREATE DATABASE shop", "CREATE TABLE shop.t (id int PRIMARY KEY)");
      assertThat(n2.rejoin(upstream(n1, "n1", 1), "1-n2").how()).isEqualTo(Rejoin.How.CLONED);
      exec(n2, "STOP SLAVE IO_THREAD");
      for (int i = 1; i <= 500; i++) {
        exec(n1, "INSERT INTO shop.t VALUES (" + i + ")");
      }
      n1.demote();
      exec(n2, "START SLAVE IO_THREAD");
      n2.promote();
      assertThat(MyNodes.count(n2, "SELECT count(*) FROM shop.t")).as("every row n1 acknowledged is on n2").isEqualTo(500);
    }
  }

  private static int port(MariadbEngine e) {
    return Integer.parseInt(e.describe().substring(e.describe().lastIndexOf(':') + 1));
  }
}
