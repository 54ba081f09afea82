package tandem.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The process dies (as with kill -9) at each named point in the middle of a backup, a forget or a
 * prune; afterwards the repository verifies, every snapshot that was complete is there and
 * restores, and the next prune cleans up what was left.
 */
class BackupCrashTest extends BackupFixture {

  @ParameterizedTest(name = "{0} during {1}")
  @CsvSource({
      "backup-after-pack, run",
      "backup-after-index, run",
      "forget-after-deleting-a-snapshot, forget",
      "prune-after-new-pack, prune",
      "prune-after-new-index, prune",
      "prune-after-deleting-an-index, prune",
      "prune-after-deleting-a-pack, prune"})
  void crashAt(String point, String step) throws Exception {
    // Three snapshots of changing data, so that forget has two to remove and prune packs to rewrite and delete.
    Random rnd = new Random(point.hashCode());
    byte[] b = new byte[3 << 20];
    for (int i = 0; i < 3; i++) {
      rnd.nextBytes(b);
      Files.write(www.resolve("data-" + i + ".bin"), b);
      if (i > 0) {
        Files.delete(www.resolve("data-" + (i - 1) + ".bin"));
      }
      assertThat(tandem("backup", "run").code()).isZero();
    }
    if (step.equals("prune")) {
      assertThat(tandem("backup", "forget").out()).contains("removed 2 of 3");
    }
    if (step.equals("run")) {
      rnd.nextBytes(b);
      Files.write(www.resolve("late.bin"), b);
    }

    int code = child(point, step);

    assertThat(code).as("the process died at " + point).isEqualTo(137);
    Run verify = tandem("backup", "verify", "--read-data", "100%");
    assertThat(verify.code()).as(verify.out()).isZero();
    Run list = tandem("backup", "list");
    int expected = switch (step) {
      case "run" -> 3; // the interrupted run made no snapshot; the three before are whole
      case "forget" -> 2; // one of the two was forgotten before the crash
      default -> 1;
    };
    assertThat(list.out()).contains(expected + " snapshot(s)");
    assertThat(tandem("backup", "prune").code()).isZero();
    Run after = tandem("backup", "verify", "--read-data", "100%");
    assertThat(after.out()).contains("no problems found").doesNotContain("no index lists");
    Run restore = tandem("backup", "restore", "latest", "--target", dir.resolve("back").toString());
    assertThat(restore.code()).as(restore.out()).isZero();
    assertThat(Files.readAllBytes(dir.resolve("back/data-2.bin"))).isEqualTo(Files.readAllBytes(www.resolve("data-2.bin")));
  }

  int child(String point, String step) throws IOException, InterruptedException {
    String java = ProcessHandle.current().info().command().orElse("java");
    Process p = new ProcessBuilder(List.of(java, "-Dtandem.backup.crash-at=" + point, "-cp", System.getProperty("java.class.path"),
        "tandem.cli.Main", "backup", step, "-c", config.toString())).redirectErrorStream(true)
        .redirectOutput(dir.resolve(point + ".log").toFile()).start();
    return p.waitFor();
  }
}
