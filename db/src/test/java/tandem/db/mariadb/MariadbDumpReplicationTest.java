package tandem.db.mariadb;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static tandem.db.mariadb.MyNodes.count;
import static tandem.db.mariadb.MyNodes.exec;
import static tandem.db.mariadb.MyNodes.upstream;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import tandem.db.DatabaseEngine;
import tandem.db.DbException;
import tandem.db.DbStatus;
import tandem.db.Rejoin;
import tandem.db.Upstream;

/**
 * {@code replication: dump} with real MariaDB servers on 127.0.0.1, as one failure story: a
 * primary without binlog and a replica cloned once, then refreshed by dumps that readers never see
 * half-installed; a dump that fails leaves the previous copy; the primary crashes with a write made
 * after the last copy, the replica is promoted without it, and the old primary returns with its
 * data dir kept aside.
 */
class MariadbDumpReplicationTest {
  private static final Duration EVERY = Duration.ofSeconds(10);
  private static final int ROWS = 20_000;

  @Test
  void replicaConvergesByDumps_readersSeeWholeCopies_failoverLosesOnlyWritesAfterTheLastCopy() throws Exception {
    try (MyNodes nodes = new MyNodes("dump")) {
      MariadbEngine n1 = nodes.node("n1", EVERY);
      MariadbEngine n2 = nodes.node("n2", EVERY);
      n1.bootstrap();
      n1.startPrimary();
      assertThat(count(n1, "SELECT @@log_bin")).as("no binlog with replication: dump").isZero();
      exec(n1, "CREATE DATABASE shop", "CREATE TABLE shop.t (id int PRIMARY KEY, note varchar(100))",
          "CREATE TABLE shop.parent (id int PRIMARY KEY)",
          "CREATE TABLE shop.child (id int PRIMARY KEY, p int, FOREIGN KEY (p) REFERENCES shop.parent (id))",
          "INSERT INTO shop.parent VALUES (1)", "INSERT INTO shop.child VALUES (1, 1)",
          "INSERT INTO shop.t SELECT seq, 'before the clone' FROM shop.seq_1_to_" + ROWS,
          "CREATE VIEW shop.v AS SELECT count(*) AS n FROM shop.t",
          "CREATE TABLE shop.audit (note varchar(100))",
          "CREATE TRIGGER shop.t_audit AFTER INSERT ON shop.t FOR EACH ROW INSERT INTO shop.audit VALUES (NEW.note)",
          "CREATE USER 'app'@'127.0.0.1' IDENTIFIED BY 'app-pw'", "GRANT SELECT, INSERT ON shop.* TO 'app'@'127.0.0.1'");

      // The first copy is a clone (accounts, views included); the replica runs read-only, without replication threads.
      Rejoin first = n2.rejoin(upstream(n1, "n1", 1), "1-n2");
      assertThat(first.how()).isEqualTo(Rejoin.How.CLONED);
      assertThat(n2.localRole()).isEqualTo(DatabaseEngine.LocalRole.REPLICA);
      assertThat(n2.lastCopy()).isPresent();
      assertThat(n2.copyInterval()).contains(EVERY);
      assertThat(count(n2, "SELECT count(*) FROM shop.t")).isEqualTo(ROWS);
      try (Connection c = n2.connect(); Statement st = c.createStatement()) {
        assertThat(MariadbEngine.slaveStatus(st)).as("no binlog replication is configured").isEmpty();
      }
      assertThatThrownBy(() -> asApp(n2, "INSERT INTO shop.t VALUES (0, 'on a replica')")).isInstanceOf(SQLException.class)
          .hasMessageContaining("read-only");

      // Changes on the primary: more rows, a new table, a dropped one, a new database, an account and its grants.
      exec(n1, "CREATE USER 'crm'@'%' IDENTIFIED BY 'first-pw'", "CREATE USER 'gone'@'%' IDENTIFIED BY 'x'");
      n2.copyFrom(upstream(n1, "n1", 1));
      assertThat(count(n2, "SELECT count(*) FROM mysql.user WHERE User = 'gone'")).isOne();
      exec(n1, "DROP USER 'gone'@'%'", "ALTER USER 'crm'@'%' IDENTIFIED BY 'crm-pw'", "GRANT SELECT ON crm.* TO 'crm'@'%'");
      exec(n1, "INSERT INTO shop.t SELECT seq, 'after the clone' FROM shop.seq_" + (ROWS + 1) + "_to_" + 2 * ROWS,
          "CREATE TABLE shop.added (id int PRIMARY KEY)", "INSERT INTO shop.added VALUES (7)", "DROP TABLE shop.child",
          "CREATE DATABASE crm", "CREATE TABLE crm.contacts (name varchar(20))", "INSERT INTO crm.contacts VALUES ('ann')",
          "CREATE VIEW crm.names AS SELECT upper(name) AS n FROM crm.contacts", "CREATE VIEW crm.names2 AS SELECT n FROM crm.names",
          "CREATE OR REPLACE VIEW shop.v AS SELECT count(*) + 1 AS n FROM shop.t",
          "CREATE TRIGGER crm.c_upper BEFORE INSERT ON crm.contacts FOR EACH ROW SET NEW.name = lower(NEW.name)");
      Instant beforeDump = Instant.now();

      // A reader on the replica during the copy sees the whole old table or the whole new one, never an error or half.
      AtomicBoolean reading = new AtomicBoolean(true);
      ConcurrentLinkedQueue<String> seen = new ConcurrentLinkedQueue<>();
      Thread reader = Thread.ofPlatform().start(() -> {
        try (Connection c = appConnection(n2); Statement st = c.createStatement()) {
          while (reading.get()) {
            try (ResultSet rs = st.executeQuery("SELECT count(*) FROM shop.t")) {
              rs.next();
              seen.add(Long.toString(rs.getLong(1)));
            }
          }
        } catch (SQLException e) {
          seen.add("error: " + e.getMessage());
        }
      });
      Instant point = n2.copyFrom(upstream(n1, "n1", 1));
      reading.set(false);
      reader.join();
      assertThat(point).isAfterOrEqualTo(beforeDump);
      assertThat(n2.lastCopy()).contains(Instant.ofEpochMilli(point.toEpochMilli()));
      assertThat(seen).as("what a reader saw during the copy").isNotEmpty()
          .allMatch(v -> v.equals(Long.toString(ROWS)) || v.equals(Long.toString(2L * ROWS)));
      assertThat(count(n2, "SELECT count(*) FROM shop.t")).isEqualTo(2L * ROWS);
      assertThat(count(n2, "SELECT count(*) FROM crm.contacts WHERE name = 'ann'")).isEqualTo(1);
      assertThat(count(n2, "SELECT id FROM shop.added")).isEqualTo(7);
      assertThat(count(n2, "SELECT count(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = 'shop' AND TABLE_NAME = 'child'"))
          .as("a table dropped on the primary is gone").isZero();
      assertThat(count(n2, "SELECT count(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME LIKE '\\_tandem%'"))
          .as("no staging schema left").isZero();
      assertThat(count(n2, "SELECT n FROM shop.v")).as("the view, as redefined on the primary, reads the new table")
          .isEqualTo(2L * ROWS + 1);
      assertThat(count(n2, "SELECT count(*) FROM crm.names2 WHERE n = 'ANN'")).as("a view of a view").isOne();
      assertThat(count(n2, "SELECT count(*) FROM information_schema.TRIGGERS WHERE TRIGGER_NAME IN ('t_audit', 'c_upper')"))
          .as("triggers come back on the new tables").isEqualTo(2);
      assertThat(count(n2, "SELECT @@read_only")).isEqualTo(1);
      assertThat(count(n2, "SELECT count(*) FROM mysql.user WHERE User = 'gone'")).as("an account dropped on the primary").isZero();
      try (Connection crm = DriverManager.getConnection("jdbc:mariadb://127.0.0.1:" + port(n2) + "/crm?user=crm&password=crm-pw");
          Statement st = crm.createStatement(); ResultSet rs = st.executeQuery("SELECT name FROM contacts")) {
        assertThat(rs.next()).as("an account created, and changed, on the primary after the clone logs in on the replica").isTrue();
      }

      // A dump that fails (here: a wrong password) leaves the previous copy and says what failed.
      Upstream good = upstream(n1, "n1", 1);
      Upstream wrong = new Upstream(good.node(), good.host(), good.port(), good.replicationUser(), good.replicationPassword(),
          good.adminUser(), "not-the-password", good.certificatePem(), good.epoch());
      exec(n1, "INSERT INTO shop.t VALUES (" + (2 * ROWS + 1) + ", 'not copied: the dump fails')");
      assertThatThrownBy(() -> n2.copyFrom(wrong)).isInstanceOf(DbException.class).hasMessageContaining("n1")
          .hasMessageContaining("Access denied");
      assertThat(count(n2, "SELECT count(*) FROM shop.t")).isEqualTo(2L * ROWS);
      assertThat(n2.lastCopy()).contains(Instant.ofEpochMilli(point.toEpochMilli()));
      DbStatus replica = n2.status();
      assertThat(replica.dumps()).isTrue();
      assertThat(replica.copiedAtMillis()).isEqualTo(point.toEpochMilli());
      assertThat(replica.position()).isEqualTo(point.toEpochMilli());
      assertThat(replica.lagSeconds()).isBetween(0.0, 600.0);
      DbStatus primary = n1.status();
      assertThat(primary.position()).as("a dump primary is at 'now'").isGreaterThan(replica.position());

      // A hand-over: the demoted primary keeps running read-only, so a last copy has every write it took.
      exec(n1, "INSERT INTO shop.t VALUES (" + (2 * ROWS + 3) + ", 'just before the hand-over')");
      n1.demote();
      assertThat(n1.running()).isTrue();
      assertThatThrownBy(() -> asApp(n1, "INSERT INTO shop.t VALUES (0, 'after the hand-over')")).isInstanceOf(SQLException.class)
          .hasMessageContaining("read-only");
      n2.copyFrom(good);
      assertThat(count(n2, "SELECT count(*) FROM shop.t WHERE note = 'just before the hand-over'")).isOne();
      n1.startPrimary(); // the hand-over was called off: it takes writes again
      asApp(n1, "INSERT INTO shop.t VALUES (" + (2 * ROWS + 4) + ", 'primary again')");

      // The primary crashes with a write made after the last copy: promoting the replica loses it.
      n2.copyFrom(good);
      exec(n1, "INSERT INTO shop.t VALUES (" + (2 * ROWS + 2) + ", 'lost: after the last copy')");
      MyNodes.crash(n1);
      n2.promote();
      assertThat(n2.localRole()).isEqualTo(DatabaseEngine.LocalRole.PRIMARY);
      assertThat(n2.lastCopy()).isEmpty();
      asApp(n2, "INSERT INTO shop.t VALUES (" + (3 * ROWS) + ", 'on the new primary')");
      assertThat(count(n2, "SELECT count(*) FROM shop.t WHERE note LIKE 'lost%'")).isZero();
      assertThat(count(n2, "SELECT count(*) FROM shop.audit WHERE note = 'on the new primary'")).as("the copied trigger fires")
          .isOne();
      assertThat(count(n2, "SELECT count(*) FROM shop.t WHERE note LIKE 'not copied%'")).isOne();

      // The old primary returns: its data dir (with the lost write) is kept aside, then it is a replica of n2.
      Rejoin back = n1.rejoin(upstream(n2, "n2", 2), "2-n1");
      assertThat(back.how()).as(back.detail()).isEqualTo(Rejoin.How.CLONED);
      assertThat(back.keptCopy()).hasValue(nodes.dir.resolve("n1/db.old-primary-2-n1"));
      assertThat(back.keptCopy().orElseThrow().resolve("shop/t.ibd")).exists();
      assertThat(back.detail()).contains("kept in " + nodes.dir.resolve("n1/db.old-primary-2-n1"));
      assertThat(n1.localRole()).isEqualTo(DatabaseEngine.LocalRole.REPLICA);
      assertThat(count(n1, "SELECT count(*) FROM shop.t WHERE note = 'on the new primary'")).isOne();
      assertThat(count(n1, "SELECT count(*) FROM shop.t WHERE note LIKE 'lost%'")).isZero();
      assertThatThrownBy(() -> asApp(n1, "INSERT INTO shop.t VALUES (0, 'on the old primary')")).isInstanceOf(SQLException.class)
          .hasMessageContaining("read-only");
    }
  }

  private static Connection appConnection(MariadbEngine e) throws SQLException {
    return DriverManager.getConnection("jdbc:mariadb://127.0.0.1:" + port(e) + "/shop?user=app&password=app-pw");
  }

  private static int port(MariadbEngine e) {
    return Integer.parseInt(e.describe().substring(e.describe().lastIndexOf(':') + 1));
  }

  /** A statement as an ordinary user (no privilege beyond its database). */
  private static void asApp(MariadbEngine e, String sql) throws SQLException {
    try (Connection c = appConnection(e); Statement st = c.createStatement()) {
      st.execute(sql);
    }
  }
}
