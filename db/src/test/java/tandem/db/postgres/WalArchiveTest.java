package tandem.db.postgres;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The archive script PostgreSQL runs: whole files only, never an overwrite, short enough for any data dir path. */
class WalArchiveTest {
  @TempDir Path dir;

  int archive(Path data, Path wal) throws Exception {
    Process p = new ProcessBuilder("sh", "-c", WalArchive.parameters(data).get("archive_command").replace("%p", wal.toString())
        .replace("%f", wal.getFileName().toString())).redirectErrorStream(true).start();
    p.getInputStream().readAllBytes();
    return p.waitFor();
  }

  @Test
  void aWalFileIsCopiedWhole_again_isFine_andADifferentOneOfTheSameName_isRefused() throws Exception {
    // A deep data dir: the command line PostgreSQL expands must stay under its 1024 bytes whatever the path.
    Path data = dir.resolve("a".repeat(200)).resolve("b".repeat(200)).resolve("c".repeat(200)).resolve("pg");
    Files.createDirectories(data);
    assertThat(WalArchive.parameters(data).get("archive_command")).hasSizeLessThan(700);
    Path spool = Files.createDirectories(WalArchive.spool(data));
    Files.writeString(WalArchive.script(data), WalArchive.scriptText(data));
    WalArchive.script(data).toFile().setExecutable(true);
    Path wal = Files.write(dir.resolve("000000010000000000000001"), new byte[] {1, 2, 3});

    assertThat(archive(data, wal)).isZero();
    assertThat(Files.readAllBytes(spool.resolve("000000010000000000000001"))).containsExactly(1, 2, 3);
    assertThat(WalArchive.waiting(spool)).extracting(p -> p.getFileName().toString()).containsExactly("000000010000000000000001");
    assertThat(archive(data, wal)).as("archived again after a crash: the same content").isZero();

    Files.write(wal, new byte[] {9});
    assertThat(archive(data, wal)).as("another file under an archived name").isNotZero();
    assertThat(Files.readAllBytes(spool.resolve("000000010000000000000001"))).containsExactly(1, 2, 3);
  }
}
