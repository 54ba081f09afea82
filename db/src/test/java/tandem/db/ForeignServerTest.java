package tandem.db;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Finding a server that works in a data directory, with a real process standing in for it. */
class ForeignServerTest {
  @TempDir Path dir;

  @Test
  void aProcessWorkingInTheDataDir_isFound_andTakingTheDirOverIsRefusedWithTheWayOut() throws Exception {
    Path data = Files.createDirectories(dir.resolve("data"));
    Process server = new ProcessBuilder("sleep", "600").directory(data.toFile()).start();
    try {
      assertThat(ForeignServer.on(data)).get().extracting(ForeignServer::pid).isEqualTo(server.pid());
      assertThat(ForeignServer.on(data).orElseThrow().command()).isEqualTo("sleep 600");
      assertThatThrownBy(() -> ForeignServer.refuseIfRunning(data, "MariaDB", "e.g. systemctl disable --now mariadb"))
          .isInstanceOf(DbException.class)
          .hasMessageContaining("pid " + server.pid())
          .hasMessageContaining("systemctl disable --now mariadb");
    } finally {
      server.destroyForcibly().waitFor();
    }
    assertThat(ForeignServer.on(data)).isEmpty();
  }

  @Test
  void noProcessInTheDir_orNoDir_nothingIsFound() throws Exception {
    Path data = Files.createDirectories(dir.resolve("empty"));
    Process elsewhere = new ProcessBuilder("sleep", "600").directory(dir.toFile()).start();
    try {
      assertThat(ForeignServer.on(data)).isEmpty();
      assertThat(ForeignServer.on(dir.resolve("missing"))).isEmpty();
      ForeignServer.refuseIfRunning(data, "PostgreSQL", "pg_ctl stop");
    } finally {
      elsewhere.destroyForcibly().waitFor();
    }
  }
}
