package tandem.db.mariadb;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static tandem.db.mariadb.MyNodes.count;
import static tandem.db.mariadb.MyNodes.exec;
import static tandem.db.mariadb.MyNodes.upstream;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import tandem.db.DbStatus;
import tandem.db.Rejoin;

/**
 * The fence against accounts that read_only does not stop, with real MariaDB 10.11 servers: an
 * application account granted ALL ON *.* (so SUPER, so READ_ONLY ADMIN) is named in the status's
 * warnings, and cannot write on a fenced old primary (replication: dump keeps it running for the
 * next primary's last copy), which still serves reads and that copy.
 */
class MariadbFenceTest {
  private static final Duration EVERY = Duration.ofSeconds(10);

  @Test
  void accountPastReadOnly_isNamedInStatus_andCannotWriteOnAFencedOldPrimary() throws Exception {
    try (MyNodes nodes = new MyNodes("fence")) {
      MariadbEngine n1 = nodes.node("n1", EVERY);
      MariadbEngine n2 = nodes.node("n2", EVERY);
      n1.bootstrap();
      n1.startPrimary();
      exec(n1, "CREATE DATABASE shop", "CREATE TABLE shop.t (id int PRIMARY KEY, note varchar(100))",
          "CREATE USER 'wp'@'127.0.0.1' IDENTIFIED BY 'wp-pw'", "GRANT ALL ON *.* TO 'wp'@'127.0.0.1'",
          "CREATE USER 'app'@'127.0.0.1' IDENTIFIED BY 'app-pw'", "GRANT SELECT, INSERT ON shop.* TO 'app'@'127.0.0.1'");

      DbStatus status = n1.status();
      assertThat(status.warnings()).hasSize(1);
      assertThat(status.warnings().getFirst()).startsWith("'wp'@'127.0.0.1' holds SUPER or READ_ONLY ADMIN")
          .doesNotContain("tandem_admin").doesNotContain("'app'").doesNotContain("'root'@'localhost'");

      asWp(n1, "INSERT INTO shop.t VALUES (1, 'before the fence')");
      assertThat(n2.rejoin(upstream(n1, "n1", 1), "1-n2").how()).isEqualTo(Rejoin.How.CLONED);

      n1.demote();

      assertThat(n1.running()).as("with dumps a demoted primary keeps running for a last copy").isTrue();
      assertThatThrownBy(() -> asWp(n1, "INSERT INTO shop.t VALUES (2, 'past read_only')")).isInstanceOf(SQLException.class)
          .hasMessageContaining("Lock wait timeout");
      assertThatThrownBy(() -> asApp(n1, "INSERT INTO shop.t VALUES (3, 'an ordinary user')"))
          .isInstanceOf(SQLException.class).hasMessageContaining("read-only");
      assertThat(count(n1, "SELECT count(*) FROM shop.t")).as("reads work, and nothing was written").isOne();
      n2.copyFrom(upstream(n1, "n1", 1));
      assertThat(count(n2, "SELECT count(*) FROM shop.t WHERE id = 1")).as("the last copy works while fenced").isOne();

      // Primary again (a hand-over called off): the lock is gone with the fence.
      n1.startPrimary();
      asWp(n1, "INSERT INTO shop.t VALUES (4, 'primary again')");
      asApp(n1, "INSERT INTO shop.t VALUES (5, 'primary again')");
      assertThat(count(n1, "SELECT count(*) FROM shop.t")).isEqualTo(3);
    }
  }

  /** A statement as 'wp', which holds ALL ON *.*; it waits at most 2 s for a lock. */
  private static void asWp(MariadbEngine e, String sql) throws SQLException {
    try (Connection c = DriverManager.getConnection("jdbc:mariadb://127.0.0.1:" + port(e) + "/?user=wp&password=wp-pw");
        Statement st = c.createStatement()) {
      st.execute("SET SESSION lock_wait_timeout = 2");
      st.execute(sql);
    }
  }

  private static void asApp(MariadbEngine e, String sql) throws SQLException {
    try (Connection c = DriverManager.getConnection("jdbc:mariadb://127.0.0.1:" + port(e) + "/?user=app&password=app-pw");
        Statement st = c.createStatement()) {
      st.execute(sql);
    }
  }

  private static int port(MariadbEngine e) {
    return Integer.parseInt(e.describe().substring(e.describe().lastIndexOf(':') + 1));
  }
}
