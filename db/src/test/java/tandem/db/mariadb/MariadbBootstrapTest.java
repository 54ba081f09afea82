package tandem.db.mariadb;

import static org.assertj.core.api.Assertions.assertThat;
import static tandem.db.mariadb.MyNodes.count;
import static tandem.db.mariadb.MyNodes.exec;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * A data dir that mariadb-install-db left half made (failed or killed: the CI saw it fail when another
 * server's start deleted its temporary tables from the shared /tmp) is made again, not adopted
 * with no grant tables; and each server keeps its temporary files in a directory of its own.
 */
class MariadbBootstrapTest {
  @Test
  void aHalfMadeInstall_isMadeAgainFromScratch_andTheServerKeepsItsTemporaryFilesToItself() throws Exception {
    try (MyNodes nodes = new MyNodes("bootstrap")) {
      MariadbEngine n1 = nodes.node("n1");
      Path data = nodes.dir.resolve("n1/db");
      Path support = data.resolveSibling("db.tandem");
      // What a killed install leaves: the marker, a system schema dir without its tables, a stray file.
      Files.createDirectories(data.resolve("mysql"));
      Files.writeString(data.resolve("mysql/half-written.frm"), "not a table");
      Files.writeString(data.resolve("aria_log_control"), "junk");
      Files.createDirectories(support);
      Files.writeString(support.resolve("install-incomplete"), "mariadb-install-db started into an empty " + data + "\n");
      assertThat(n1.initialized()).as("a half-made data dir is not initialized").isFalse();

      n1.bootstrap();

      assertThat(n1.initialized()).isTrue();
      assertThat(support.resolve("install-incomplete")).doesNotExist();
      assertThat(data.resolve("mysql/half-written.frm")).as("made from scratch").doesNotExist();
      n1.startPrimary();
      exec(n1, "CREATE DATABASE shop", "CREATE TABLE shop.t (id int PRIMARY KEY)", "INSERT INTO shop.t VALUES (1)");
      assertThat(count(n1, "SELECT count(*) FROM shop.t")).isOne();
      assertThat(count(n1, "SELECT count(*) FROM mysql.user WHERE user = 'tandem_admin'")).as("tandem's accounts").isPositive();
      assertThat(Files.readString(support.resolve("my.cnf"))).contains("tmpdir = " + support.resolve("tmp"));
      assertThat(count(n1, "SELECT @@tmpdir = '" + support.resolve("tmp") + "'")).as("the server's tmpdir").isOne();
    }
  }

  @Test
  void aDataDirWithADatabaseAndNoMarker_isAdopted_notMadeAgain() throws Exception {
    try (MyNodes nodes = new MyNodes("bootstrap-adopt")) {
      MariadbEngine n1 = nodes.node("n1");
      n1.bootstrap();
      n1.startPrimary();
      exec(n1, "CREATE DATABASE shop", "CREATE TABLE shop.t (id int PRIMARY KEY)", "INSERT INTO shop.t VALUES (7)");
      n1.stop();

      n1.bootstrap();

      assertThat(count(n1, "SELECT id FROM shop.t")).as("kept").isEqualTo(7);
    }
  }
}
