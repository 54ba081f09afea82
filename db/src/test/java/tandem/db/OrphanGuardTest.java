package tandem.db;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The watcher that stops a server whose owner was killed with -9, with real processes standing in for both. */
class OrphanGuardTest {
  @TempDir Path dir;
  Process owner;
  Process server;

  @AfterEach
  void end() {
    for (Process p : new Process[] {owner, server}) {
      if (p != null) {
        p.destroyForcibly();
      }
    }
  }

  private void start(String serverWrites) throws Exception {
    owner = new ProcessBuilder("sleep", "600").start();
    server = new ProcessBuilder("sleep", "600").start();
    Files.writeString(dir.resolve("server.pid"), serverWrites.replace("PID", Long.toString(server.pid())));
  }

  @Test
  void theOwnerKilledWithMinus9_theServerIsSignalled() throws Exception {
    start("PID\n/var/lib/pg\n5432\n"); // the shape of postmaster.pid: the PID on the first line
    OrphanGuard guard = OrphanGuard.start(owner.pid(), dir.resolve("server.pid"), "QUIT");
    assertThat(guard.watching()).isTrue();
    assertThat(server.isAlive()).isTrue();

    owner.destroyForcibly().waitFor();
    await().atMost(Duration.ofSeconds(10)).until(() -> !server.isAlive());
    await().atMost(Duration.ofSeconds(10)).until(() -> !guard.watching());
  }

  @Test
  void closedByAnOwnerThatStoppedTheServerItself_nothingIsSignalled() throws Exception {
    start("PID\n");
    OrphanGuard guard = OrphanGuard.start(owner.pid(), dir.resolve("server.pid"), "TERM");
    guard.close();
    await().atMost(Duration.ofSeconds(10)).until(() -> !guard.watching());
    owner.destroyForcibly().waitFor();

    // The watcher is gone, so the server outlives its owner: its own process has to end it.
    assertThat(server.waitFor(2, java.util.concurrent.TimeUnit.SECONDS)).isFalse();
  }

  @Test
  void aServerThatAlreadyStopped_leftNoPidFile_andNothingIsSignalled() throws Exception {
    start("");
    Files.delete(dir.resolve("server.pid"));
    OrphanGuard guard = OrphanGuard.start(owner.pid(), dir.resolve("server.pid"), "TERM");
    owner.destroyForcibly().waitFor();
    await().atMost(Duration.ofSeconds(10)).until(() -> !guard.watching());
    assertThat(server.isAlive()).isTrue();
  }

  @Test
  void aSignalIsAName() {
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> OrphanGuard.start(1, dir.resolve("x"), "9; rm -rf /"))
        .hasMessageContaining("signal name");
  }
}
