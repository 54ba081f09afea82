package tandem.db.mariadb;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static tandem.db.mariadb.MyNodes.count;
import static tandem.db.mariadb.MyNodes.exec;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import tandem.db.DatabaseEngine;
import tandem.db.DbException;
import tandem.db.DbSecrets;

/**
 * Adopting a MySQL data dir that tandem did not make, whose root has a password (as every
 * installed MySQL's has): the bootstrap says what to create by hand, and once it exists takes the
 * data dir over with its databases intact.
 */
class MysqlBootstrapTest {
  @Test
  void aDataDirWhoseRootHasAPassword_isRefusedWithTheAccountToCreate_thenAdoptedWithItsData() throws Exception {
    try (MysqlNodes nodes = new MysqlNodes("adopt")) {
      MysqlEngine n1 = nodes.node("n1");
      n1.bootstrap();
      n1.startPrimary();
      // What another installation leaves: root with a password, no tandem accounts, no tandem secrets.
      exec(n1, "CREATE DATABASE shop", "CREATE TABLE shop.t (id int PRIMARY KEY)", "INSERT INTO shop.t VALUES (1), (2)",
          "ALTER USER 'root'@'localhost' IDENTIFIED BY 'root-pw' ACCOUNT UNLOCK",
          "DROP USER 'tandem_admin'@'%', 'tandem_repl'@'%'", "DROP USER 'tandem_admin'@'127.0.0.1'");
      n1.stop();
      Path secrets = nodes.dir.resolve("n1/secrets");
      Files.delete(secrets);

      assertThatThrownBy(n1::bootstrap).isInstanceOf(DbException.class)
          .hasMessageContaining("Access denied for user 'root'@'localhost'")
          .hasMessageContaining("CREATE USER 'tandem_admin'@'127.0.0.1' IDENTIFIED BY '<the admin= line of " + secrets + ">'");
      String admin = DbSecrets.read(secrets).admin();

      // The operator does what the message says, as root.
      Path socket = nodes.dir.resolve("n1/db.tandem/mariadbd.sock");
      ProcessBuilder pb = new ProcessBuilder(MysqlNodes.BIN.resolve("mysql").toString(), "--no-defaults", "--socket=" + socket,
          "--user=root", "--batch").redirectErrorStream(true);
      pb.environment().put("MYSQL_PWD", "root-pw");
      Process p = pb.start();
      p.getOutputStream().write(("CREATE USER 'tandem_admin'@'127.0.0.1' IDENTIFIED BY '" + admin + "';\n"
          + "GRANT ALL PRIVILEGES ON *.* TO 'tandem_admin'@'127.0.0.1' WITH GRANT OPTION;\n").getBytes());
      p.getOutputStream().close();
      String out = new String(p.getInputStream().readAllBytes());
      assertThat(p.waitFor()).as(out).isZero();

      n1.bootstrap();
      n1.startPrimary();
      assertThat(n1.localRole()).isEqualTo(DatabaseEngine.LocalRole.PRIMARY);
      assertThat(count(n1, "SELECT count(*) FROM shop.t")).as("the adopted data is kept").isEqualTo(2);
      assertThat(count(n1, "SELECT count(*) FROM mysql.user WHERE user IN ('tandem_admin', 'tandem_repl')"))
          .as("tandem's accounts, made by tandem_admin").isEqualTo(3);
      assertThat(n1.status().state()).isEqualTo("running");
    }
  }

  @Test
  void aMysqlResourceThatWouldRunMariadbsServer_isRefusedBeforeAnythingIsMade() throws Exception {
    try (MysqlNodes nodes = new MysqlNodes("wrong-server")) {
      // Debian's MariaDB installs /usr/sbin/mysqld as a link to mariadbd: without bin: a mysql resource would find it.
      Path home = nodes.dir.resolve("n1");
      tandem.transport.NodeIdentity.create(home.resolve("id"), new tandem.core.NodeName("n1"), java.util.List.of("127.0.0.1"));
      MysqlEngine e = new MysqlEngine(new MariadbSettings(Path.of("/usr/sbin"), home.resolve("db"),
          tandem.testkit.TestPorts.take(), "127.0.0.1", "mysql", "n1", java.util.List.of(), java.util.Map.of(),
          home.resolve("secrets"), Files.readString(home.resolve("id/node.crt")), Files.readString(home.resolve("id/node.key"))));

      assertThatThrownBy(e::bootstrap).isInstanceOf(DbException.class)
          .hasMessageContaining("/usr/sbin/mysqld is MariaDB's server").hasMessageContaining("set mysql.bin");
      assertThat(home.resolve("db")).as("nothing was made").doesNotExist();
      assertThat(e.running()).isFalse();
    }
  }
}
