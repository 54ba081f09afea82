package tandem.filesync;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static tandem.filesync.ApplierTest.bytes;
import static tandem.filesync.ApplierTest.tempsUnder;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A real full disk: a 1 MiB tmpfs (needs root to mount; skipped with a reason otherwise). */
class DiskFullTest {
  @TempDir Path tmp;
  Path small;
  boolean mounted;

  @BeforeEach
  void mount() throws Exception {
    small = Files.createDirectory(tmp.resolve("small"));
    Process p = new ProcessBuilder("mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", small.toString()).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes());
    mounted = p.waitFor() == 0;
    Assumptions.assumeTrue(mounted, "skipped: cannot mount a small tmpfs to fill (needs root): " + out.strip());
  }

  @AfterEach
  void unmount() throws Exception {
    if (mounted) {
      new ProcessBuilder("umount", small.toString()).inheritIO().start().waitFor();
    }
  }

  @Test
  void aFullDiskKeepsTheOldFileRemovesTheTempAndSaysToFreeSpace() throws Exception {
    Chunks chunks = new Chunks();
    Applier applier = new Applier(small, new MapBaseline(), ApplierOptions.of("n2"));
    byte[] old = bytes("old", 300_000);
    applier.apply(chunks.file("f", old), chunks);

    assertThatThrownBy(() -> applier.apply(chunks.file("f", bytes("new", 2_000_000)), chunks))
        .hasMessageContaining("\"f\"")
        .hasMessageContaining("No space left on device")
        .hasMessageContaining("free space on the filesystem holding " + small.toRealPath());
    assertThat(Files.readAllBytes(small.resolve("f"))).isEqualTo(old);
    assertThat(tempsUnder(small)).isEmpty();
  }
}
