package tandem.db.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import tandem.db.DbException;

/**
 * Taking over a data directory that tandem never ran: refused while a server started elsewhere runs on it, adopted once
 * it is stopped; one that an initdb killed half way left behind is made again, not adopted.
 */
class PgAdoptTest {
  @Test
  void aServerStartedOutsideTandem_isNamedAndLeftRunning_thenTheStoppedDirIsAdopted() throws Exception {
    try (PgNodes nodes = new PgNodes("adopt")) {
      PostgresEngine first = nodes.node("a");
      first.bootstrap();
      first.stop();
      Path data = nodes.dir.resolve("a").resolve("pg");
      Path bin = PgBin.find(Optional.empty());
      int port = tandem.testkit.TestPorts.take();
      // The system's own server, as a package's service would run it: not through tandem.
      Process start = new ProcessBuilder("runuser", "-u", "postgres", "--", bin.resolve("pg_ctl").toString(), "-D", data.toString(),
          "-o", "-p " + port + " -c listen_addresses=127.0.0.1", "-w", "-l", data.resolve("foreign.log").toString(), "start")
          .redirectErrorStream(true).start();
      assertThat(start.waitFor()).as(new String(start.getInputStream().readAllBytes())).isZero();
      long pid = Long.parseLong(Files.readAllLines(data.resolve("postmaster.pid")).getFirst().trim());

      PostgresEngine adopter = nodes.onData("b", data, nodes.dir.resolve("b").resolve("secrets"));
      assertThatThrownBy(adopter::bootstrap).isInstanceOf(DbException.class)
          .hasMessageContaining("tandem did not start")
          .hasMessageContaining("pid " + pid)
          .hasMessageContaining("systemctl disable --now postgresql");
      assertThat(ProcessHandle.of(pid)).as("the running server is left alone").get().matches(ProcessHandle::isAlive);

      Process stop = new ProcessBuilder("runuser", "-u", "postgres", "--", bin.resolve("pg_ctl").toString(), "-D", data.toString(),
          "-w", "stop").redirectErrorStream(true).start();
      assertThat(stop.waitFor()).isZero();
      adopter.bootstrap();
      adopter.startPrimary();
      assertThat(adopter.running()).isTrue();
      assertThat(Files.exists(nodes.dir.resolve("b").resolve("secrets"))).isTrue();
    }
  }

  @Test
  void aDataDirThatAKilledInitdbLeft_isMadeAgainFromScratch() throws Exception {
    try (PgNodes nodes = new PgNodes("adopt-half")) {
      PostgresEngine n = nodes.node("c");
      Path data = nodes.dir.resolve("c").resolve("pg");
      Path support = nodes.dir.resolve("c").resolve("pg.tandem");
      // What initdb leaves when killed early: PG_VERSION and little else, and tandem's marker beside.
      Files.createDirectories(data.resolve("base"));
      Files.writeString(data.resolve("PG_VERSION"), "16\n");
      Files.writeString(data.resolve("base").resolve("half-written"), "not a relation");
      Files.createDirectories(support);
      Files.writeString(support.resolve("initdb-incomplete"), "initdb started into an empty " + data + "\n");
      assertThat(n.initialized()).as("half made is not made").isFalse();

      n.bootstrap();
      n.startPrimary();

      assertThat(n.initialized()).isTrue();
      assertThat(support.resolve("initdb-incomplete")).doesNotExist();
      assertThat(data.resolve("base").resolve("half-written")).as("made from scratch").doesNotExist();
      PgReplicationTest.exec(n, "CREATE TABLE t (id int PRIMARY KEY)", "INSERT INTO t VALUES (1)");
      assertThat(PgReplicationTest.count(n, "SELECT count(*) FROM t")).isOne();
    }
  }
}
