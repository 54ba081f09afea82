package tandem.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** `tandem backup ...` as an operator runs it: a tandem.yaml with a backups: section, a real repository directory. */
class BackupCommandTest extends BackupFixture {
  @Test
  void runListRestoreVerify_roundTrip() throws IOException {
    assertThat(tandem("backup", "run").out()).contains("snapshot").contains("2 files");
    Files.writeString(www.resolve("index.html"), "<h1>shop, v2</h1>");
    assertThat(tandem("backup", "run").code()).isZero();

    Run list = tandem("backup", "list");
    assertThat(list.out()).contains("2 snapshot(s)").contains("web:" + www);

    Run restore = tandem("backup", "restore", "latest", "--target", dir.resolve("back").toString());
    assertThat(restore.code()).as(restore.out()).isZero();
    assertThat(Files.readString(dir.resolve("back/index.html"))).isEqualTo("<h1>shop, v2</h1>");
    assertThat(Files.readAllBytes(dir.resolve("back/photo.jpg"))).isEqualTo(Files.readAllBytes(www.resolve("photo.jpg")));

    Run verify = tandem("backup", "verify", "--read-data", "100%");
    assertThat(verify.code()).as(verify.out()).isZero();
    assertThat(verify.out()).contains("no problems found").contains("each blob authenticates");

    Run restoreTest = tandem("backup", "verify", "--restore-test");
    assertThat(restoreTest.code()).as(restoreTest.out()).isZero();
    assertThat(restoreTest.out()).contains("restore test: 2 files").contains("2 of them are unchanged on disk since and are byte"
        + " for byte the live files");
  }

  @Test
  void restoreWithoutATarget_orWithTwo_saysHowToChoose_andAFilesGroupHasNoDatabaseDump() throws IOException {
    tandem("backup", "run");

    Run neither = tandem("backup", "restore", "latest");
    assertThat(neither.code()).isEqualTo(2);
    assertThat(neither.out()).contains("--target DIR").contains("--database NAME");
    Run both = tandem("backup", "restore", "latest", "--target", dir.resolve("x").toString(), "--database", "x");
    assertThat(both.code()).isEqualTo(2);
    Run noDump = tandem("backup", "restore", "latest", "index.html", "--database", "shop_copy");
    assertThat(noDump.code()).isNotZero();
    assertThat(noDump.out()).contains("holds no database dump index.html");
    assertThat(dir.resolve("x")).doesNotExist();
  }

  @Test
  void forgetDryRunChangesNothing_thenForgetAndPruneKeepTheNewest() throws IOException {
    tandem("backup", "run");
    tandem("backup", "run");

    assertThat(tandem("backup", "forget", "--dry-run").out()).contains("would remove 1 of 2");
    assertThat(tandem("backup", "list").out()).contains("2 snapshot(s)");
    assertThat(tandem("backup", "forget").out()).contains("removed 1 of 2");
    assertThat(tandem("backup", "prune").code()).isZero();
    assertThat(tandem("backup", "list").out()).contains("1 snapshot(s)");
    assertThat(tandem("backup", "verify", "--read-data", "100%").out()).contains("no problems found");
  }

  @Test
  void aPasswordFileEveryoneCanRead_isRefusedWithTheFix() throws IOException {
    Files.setPosixFilePermissions(dir.resolve("backup.key"), PosixFilePermissions.fromString("rw-r--r--"));

    Run r = tandem("backup", "run");

    assertThat(r.code()).isNotZero();
    assertThat(r.out()).contains("readable by every user").contains("chmod 600");
  }

  @Test
  void killMinus9DuringABackup_leavesARepositoryThatVerifies_andLosesNoCompleteSnapshot() throws Exception {
    assertThat(tandem("backup", "run").code()).isZero();
    Path many = Files.createDirectories(www.resolve("many"));
    Random rnd = new Random(2);
    byte[] b = new byte[1 << 20];
    for (int i = 0; i < 300; i++) {
      rnd.nextBytes(b);
      Files.write(many.resolve("f" + i), b);
    }
    String java = ProcessHandle.current().info().command().orElse("java");
    Process p = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"), "tandem.cli.Main", "backup", "run",
        "-c", config.toString()).redirectErrorStream(true).redirectOutput(dir.resolve("run.log").toFile()).start();
    try {
      // Killed once it has written packs of the new data, before it could finish.
      await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofMillis(20)).until(() -> packs() >= 4 || !p.isAlive());
      assertThat(p.isAlive()).as("the backup was still running when killed").isTrue();
    } finally {
      p.destroyForcibly().waitFor();
    }

    Run verify = tandem("backup", "verify", "--read-data", "100%");
    assertThat(verify.code()).as(verify.out()).isZero();
    assertThat(tandem("backup", "list").out()).contains("1 snapshot(s)");
    assertThat(tandem("backup", "prune").out()).contains("freed");
    assertThat(tandem("backup", "verify", "--read-data", "100%").out()).contains("no problems found")
        .doesNotContain("no index lists");
    Run restore = tandem("backup", "restore", "latest", "--target", dir.resolve("back").toString());
    assertThat(restore.code()).as(restore.out()).isZero();
    assertThat(Files.readString(dir.resolve("back/index.html"))).isEqualTo("<h1>shop</h1>");
  }

  long packs() throws IOException {
    Path data = dir.resolve("repo/data");
    if (!Files.isDirectory(data)) {
      return 0;
    }
    try (Stream<Path> s = Files.walk(data)) {
      return s.filter(Files::isRegularFile).filter(f -> !f.getFileName().toString().startsWith(".")).count();
    }
  }
}
