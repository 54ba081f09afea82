package tandem.db.mariadb;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;
import static tandem.db.mariadb.MyNodes.count;
import static tandem.db.mariadb.MyNodes.exec;
import static tandem.db.mariadb.MysqlNodes.upstream;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import tandem.db.DatabaseEngine;
import tandem.db.DbStatus;
import tandem.db.Rejoin;

/**
 * Real MySQL servers on 127.0.0.1 driven by {@link MysqlEngine}, the same failure story as
 * {@link MariadbReplicationTest}: a primary and two replicas cloned from it with the clone plugin;
 * the replicas fall behind by different amounts and the primary commits a last transaction nobody
 * receives before it is killed (-9); the most advanced replica is promoted, the other re-points to
 * it by GTID auto-position, and the old primary comes back with its errant transaction listed,
 * saved as SQL and its old data kept, then re-cloned.
 */
class MysqlReplicationTest {
  private static final Duration WAIT = Duration.ofSeconds(60);

  @Test
  void replicasFollow_mostAdvancedIsPromoted_othersRepoint_andTheOldPrimarysErrantWriteIsSavedOnReturn() throws Exception {
    try (MysqlNodes nodes = new MysqlNodes("story")) {
      MysqlEngine n1 = nodes.node("n1");
      MysqlEngine n2 = nodes.node("n2");
      MysqlEngine n3 = nodes.node("n3");
      n1.bootstrap();
      n1.startPrimary();
      assertThat(n1.localRole()).isEqualTo(DatabaseEngine.LocalRole.PRIMARY);
      assertThat(MyNodes.text(n1, "SELECT account_locked FROM mysql.user WHERE user = 'root' AND host = 'localhost'"))
          .as("root@localhost has no password after --initialize-insecure: tandem locks it").isEqualTo("Y");
      exec(n1, "CREATE DATABASE shop", "CREATE TABLE shop.t (id int PRIMARY KEY, note varchar(100))",
          "INSERT INTO shop.t VALUES (1, 'before the clone')",
          "CREATE USER 'app'@'127.0.0.1' IDENTIFIED BY 'app-pw'", "GRANT SELECT, INSERT ON shop.* TO 'app'@'127.0.0.1'");

      // Replicas: cloned from the primary, replicating by GTID auto-position over TLS, super_read_only.
      Rejoin cloned = n2.rejoin(upstream(n1, "n1", 1), "1-a");
      assertThat(cloned.how()).as(cloned.detail()).isEqualTo(Rejoin.How.CLONED);
      assertThat(n3.rejoin(upstream(n1, "n1", 1), "1-b").how()).isEqualTo(Rejoin.How.CLONED);
      exec(n1, "CREATE EVENT shop.nightly ON SCHEDULE EVERY 1 DAY DO DELETE FROM shop.t WHERE id < 0",
          "INSERT INTO shop.t VALUES (2, 'after the clone')");
      await("row 2 reaches both replicas").atMost(WAIT).ignoreExceptions()
          .until(() -> count(n2, "SELECT count(*) FROM shop.t") == 2 && count(n3, "SELECT count(*) FROM shop.t") == 2);
      assertThat(n2.localRole()).isEqualTo(DatabaseEngine.LocalRole.REPLICA);
      var check = new tandem.db.SqlCheck(n2, new tandem.config.CheckTarget.Sql("SELECT count(*) FROM t",
          java.util.Optional.of("shop"), java.util.Optional.of("2"))).run(Duration.ofSeconds(5));
      assertThat(check.passed()).as(check.detail()).isTrue();
      assertThatThrownBy(() -> asApp(n2, "INSERT INTO shop.t VALUES (3, 'on a replica')")).isInstanceOf(SQLException.class)
          .hasMessageContaining("read-only");
      assertThatThrownBy(() -> exec(n2, "INSERT INTO shop.t VALUES (3, 'by tandem_admin on a replica')"))
          .as("super_read_only stops even an account with every privilege").isInstanceOf(SQLException.class)
          .hasMessageContaining("super-read-only");
      asApp(n1, "INSERT INTO shop.t VALUES (3, 'by the app on the primary')");
      try (Connection c = n2.connect(); Statement st = c.createStatement()) {
        var r = MysqlEngine.replicaStatus(st);
        assertThat(r.get("Auto_Position")).isEqualTo("1");
        assertThat(r.get("Source_SSL_Allowed")).isEqualTo("Yes");
        assertThat(r.get("Source_SSL_Verify_Server_Cert")).isEqualTo("Yes");
      }
      await("n1 lists both replicas, and n2 has all of n1's position").atMost(WAIT).until(() -> {
        DbStatus p = n1.status();
        DbStatus r = n2.status();
        return p.replicas().stream().map(DbStatus.ReplicaLag::node).toList().equals(java.util.List.of("n2", "n3"))
            && r.state().equals("streaming") && r.replayed() == p.position() && r.lagSeconds() == 0;
      });

      // n3 falls behind first, then n2; the primary's last write reaches nobody; then it crashes.
      exec(n3, "STOP REPLICA IO_THREAD");
      exec(n1, "INSERT INTO shop.t VALUES (4, 'only n1 and n2')");
      await("row 4 reaches n2").atMost(WAIT).ignoreExceptions().until(() -> count(n2, "SELECT count(*) FROM shop.t") == 4);
      exec(n2, "STOP REPLICA IO_THREAD");
      exec(n1, "INSERT INTO shop.t VALUES (5, 'errant: only on n1')");
      MysqlNodes.crash(n1);

      assertThat(n2.status().position()).as("n2 is the most advanced replica").isGreaterThan(n3.status().position());
      assertThat(count(n2, "SELECT count(*) FROM information_schema.EVENTS WHERE EVENT_NAME = 'nightly'"
          + " AND STATUS = 'REPLICA_SIDE_DISABLED'")).as("a replicated event is held on the replica").isOne();
      n2.promote();
      assertThat(n2.localRole()).isEqualTo(DatabaseEngine.LocalRole.PRIMARY);
      assertThat(count(n2, "SELECT count(*) FROM information_schema.EVENTS WHERE EVENT_NAME = 'nightly'"
          + " AND STATUS = 'ENABLED'")).as("the old primary's event runs on the new primary").isOne();
      asApp(n2, "INSERT INTO shop.t VALUES (6, 'on the new primary')");

      Rejoin third = n3.rejoin(upstream(n2, "n2", 2), "2-n3");
      assertThat(third.how()).as(third.detail()).isEqualTo(Rejoin.How.FOLLOWED);
      await("n3 follows n2 and has rows 4 and 6").atMost(WAIT).ignoreExceptions()
          .until(() -> count(n3, "SELECT count(*) FROM shop.t WHERE id IN (4, 6)") == 2);

      Rejoin old = n1.rejoin(upstream(n2, "n2", 2), "2-n1");
      assertThat(old.how()).as(old.detail()).isEqualTo(Rejoin.How.CLONED);
      assertThat(old.detail()).contains("1 errant transaction");
      assertThat(old.lost()).isPresent();
      Path sql = nodes.dir.resolve("n1/db.errant-2-n1.sql");
      assertThat(Files.readString(sql)).contains("INSERT INTO `shop`.`t`").contains("errant: only on n1")
          .doesNotContain("only n1 and n2");
      Path kept = old.keptCopy().orElseThrow();
      assertThat(kept.getFileName().toString()).isEqualTo("db.pre-clone-2-n1");
      assertThat(kept.resolve("shop")).isDirectory();
      await("the old primary replicates from n2").atMost(WAIT).ignoreExceptions()
          .until(() -> count(n1, "SELECT count(*) FROM shop.t WHERE id = 6") == 1);
      assertThat(count(n1, "SELECT count(*) FROM shop.t WHERE id = 5")).as("the errant row is gone from the live data").isZero();
      assertThat(n1.localRole()).isEqualTo(DatabaseEngine.LocalRole.REPLICA);
      assertThat(n1.status().state()).isEqualTo("streaming");
    }
  }

  @Test
  void aCloneThatFails_leavesTheNodeEmptyWithTheReason_andTheNextOneWorks() throws Exception {
    try (MysqlNodes nodes = new MysqlNodes("clone-fails")) {
      MysqlEngine n1 = nodes.node("n1");
      MysqlEngine n2 = nodes.node("n2");
      n1.bootstrap();
      n1.startPrimary();
      exec(n1, "CREATE DATABASE shop", "CREATE TABLE shop.t (id int PRIMARY KEY)", "INSERT INTO shop.t VALUES (1)");
      tandem.db.Upstream good = upstream(n1, "n1", 1);
      tandem.db.Upstream wrong = new tandem.db.Upstream(good.node(), good.host(), good.port(), good.replicationUser(),
          good.replicationPassword(), good.adminUser(), "not-the-password", good.certificatePem(), good.epoch());

      assertThatThrownBy(() -> n2.rejoin(wrong, "1-a")).isInstanceOf(tandem.db.DbException.class)
          .hasMessageContaining("cannot clone the database of n1").hasMessageContaining("Access denied");
      assertThat(n2.localRole()).as("a new server that never got the copy is no primary's data").isEqualTo(DatabaseEngine.LocalRole.EMPTY);
      assertThat(n2.running()).isFalse();

      Rejoin r = n2.rejoin(good, "1-b");
      assertThat(r.how()).as(r.detail()).isEqualTo(Rejoin.How.CLONED);
      assertThat(n2.localRole()).isEqualTo(DatabaseEngine.LocalRole.REPLICA);
      await("n2 has the row").atMost(WAIT).ignoreExceptions().until(() -> count(n2, "SELECT count(*) FROM shop.t") == 1);
    }
  }

  /** A statement as an ordinary user (no privilege beyond its database). */
  private static void asApp(MysqlEngine e, String sql) throws SQLException {
    int port = Integer.parseInt(e.describe().substring(e.describe().lastIndexOf(':') + 1));
    try (Connection c = DriverManager.getConnection("jdbc:mariadb://127.0.0.1:" + port
        + "/shop?user=app&password=app-pw&allowPublicKeyRetrieval=true");
        Statement st = c.createStatement()) {
      st.execute(sql);
    }
  }
}
