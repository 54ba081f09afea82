package tandem.db.mariadb;

import static org.assertj.core.api.Assertions.assertThat;
import static tandem.db.mariadb.MyNodes.count;
import static tandem.db.mariadb.MyNodes.exec;
import static tandem.db.mariadb.MyNodes.upstream;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import tandem.db.Rejoin;

/**
 * {@code replication: dump} carries stored routines, triggers and events to a replica, not only
 * tables, views and accounts: what the primary creates after the clone is on the replica after the
 * next dump, what it changes is changed, what it drops is gone; an event the primary runs is held
 * {@code DISABLE ON SLAVE} on the replica and runs again once the replica is promoted.
 */
class MariadbDumpObjectsTest {
  private static final Duration EVERY = Duration.ofSeconds(10);

  @Test
  void routinesTriggersAndEvents_createdChangedOrDroppedOnThePrimary_followOnTheReplicaAtTheNextDump() throws Exception {
    try (MyNodes nodes = new MyNodes("dump-objects")) {
      MariadbEngine n1 = nodes.node("n1", EVERY);
      MariadbEngine n2 = nodes.node("n2", EVERY);
      n1.bootstrap();
      n1.startPrimary();
      exec(n1, "CREATE DATABASE shop", "CREATE TABLE shop.t (id int PRIMARY KEY, note varchar(100))",
          "CREATE TABLE shop.audit (note varchar(100))",
          "CREATE FUNCTION shop.cloned_fn (x int) RETURNS int DETERMINISTIC RETURN x + 1");
      Rejoin first = n2.rejoin(upstream(n1, "n1", 1), "1-n2");
      assertThat(first.how()).isEqualTo(Rejoin.How.CLONED);
      assertThat(count(n2, "SELECT shop.cloned_fn(1)")).as("the clone brings what existed").isEqualTo(2);

      // After the clone: a procedure, a function, a trigger and an event, one in a database the primary makes later.
      exec(n1, "CREATE PROCEDURE shop.add_note (IN n varchar(100)) INSERT INTO shop.t (id, note)"
              + " SELECT coalesce(max(id), 0) + 1, n FROM shop.t",
          "CREATE FUNCTION shop.twice (x int) RETURNS int DETERMINISTIC RETURN 2 * x",
          "CREATE TRIGGER shop.t_audit AFTER INSERT ON shop.t FOR EACH ROW INSERT INTO shop.audit VALUES (NEW.note)",
          "CREATE EVENT shop.nightly ON SCHEDULE EVERY 1 DAY STARTS '2030-01-01 03:00:00' DO DELETE FROM shop.audit",
          "CREATE EVENT shop.paused ON SCHEDULE EVERY 1 HOUR DISABLE DO DELETE FROM shop.audit",
          "CREATE DATABASE crm", "CREATE TABLE crm.contacts (name varchar(20))",
          "CREATE FUNCTION crm.shout (s varchar(20)) RETURNS varchar(20) DETERMINISTIC RETURN upper(s)",
          "CREATE VIEW crm.loud AS SELECT crm.shout(name) AS name FROM crm.contacts",
          "INSERT INTO crm.contacts VALUES ('ann')");
      n2.copyFrom(upstream(n1, "n1", 1));

      assertThat(count(n2, "SELECT shop.twice(21)")).as("a function created after the clone").isEqualTo(42);
      assertThat(count(n2, "SELECT count(*) FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = 'shop'"
          + " AND ROUTINE_NAME = 'add_note' AND ROUTINE_TYPE = 'PROCEDURE'")).as("a procedure").isOne();
      assertThat(count(n2, "SELECT count(*) FROM crm.loud WHERE name = 'ANN'")).as("a view calling a new function").isOne();
      assertThat(count(n2, "SELECT count(*) FROM information_schema.TRIGGERS WHERE TRIGGER_NAME = 't_audit'")).isOne();
      assertThat(eventStatus(n2, "nightly")).as("an event the primary runs is held on the replica")
          .isEqualTo("SLAVESIDE_DISABLED");
      assertThat(eventStatus(n2, "paused")).as("a disabled event stays disabled").isEqualTo("DISABLED");
      assertThat(eventStatus(n1, "nightly")).as("the primary's own is untouched").isEqualTo("ENABLED");
      assertThat(showCreate(n2, "EVENT shop.nightly", 4)).contains("EVERY 1 DAY").contains("'2030-01-01 03:00:00'");

      // A second dump with nothing changed leaves the definitions as they are (no churn), and they still match.
      String created = showCreate(n2, "PROCEDURE shop.add_note", 3);
      n2.copyFrom(upstream(n1, "n1", 1));
      assertThat(showCreate(n2, "PROCEDURE shop.add_note", 3)).isEqualTo(created);
      assertThat(eventStatus(n2, "nightly")).isEqualTo("SLAVESIDE_DISABLED");

      // Changed and dropped on the primary.
      exec(n1, "CREATE OR REPLACE FUNCTION shop.twice (x int) RETURNS int DETERMINISTIC RETURN 3 * x",
          "DROP FUNCTION shop.cloned_fn", "DROP PROCEDURE shop.add_note", "DROP TRIGGER shop.t_audit",
          "DROP EVENT shop.paused", "ALTER EVENT shop.nightly ON SCHEDULE EVERY 2 DAY STARTS '2030-01-01 03:00:00'");
      n2.copyFrom(upstream(n1, "n1", 1));

      assertThat(count(n2, "SELECT shop.twice(21)")).as("a function redefined on the primary").isEqualTo(63);
      assertThat(count(n2, "SELECT count(*) FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = 'shop'"
          + " AND ROUTINE_NAME IN ('cloned_fn', 'add_note')")).as("routines dropped on the primary").isZero();
      assertThat(count(n2, "SELECT count(*) FROM information_schema.TRIGGERS WHERE TRIGGER_NAME = 't_audit'")).isZero();
      assertThat(count(n2, "SELECT count(*) FROM information_schema.EVENTS WHERE EVENT_NAME = 'paused'")).isZero();
      assertThat(showCreate(n2, "EVENT shop.nightly", 4)).contains("EVERY 2 DAY");
      assertThat(eventStatus(n2, "nightly")).isEqualTo("SLAVESIDE_DISABLED");

      // Promoted: the event the old primary ran runs here now.
      MyNodes.crash(n1);
      n2.promote();
      assertThat(eventStatus(n2, "nightly")).isEqualTo("ENABLED");
      assertThat(count(n2, "SELECT shop.twice(2)")).isEqualTo(6);
    }
  }

  private static String eventStatus(MariadbEngine e, String event) throws SQLException {
    try (Connection c = e.connect(); Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT STATUS FROM information_schema.EVENTS WHERE EVENT_NAME = '" + event + "'")) {
      return rs.next() ? rs.getString(1) : null;
    }
  }

  private static String showCreate(MariadbEngine e, String what, int column) throws SQLException {
    try (Connection c = e.connect(); Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SHOW CREATE " + what)) {
      rs.next();
      return rs.getString(column);
    }
  }
}
