package tandem.filesync;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.LocalDateTime;
import org.junit.jupiter.api.Test;

class SideNamesTest {
  private static final LocalDateTime T = LocalDateTime.of(2026, 3, 4, 5, 6, 7);

  @Test
  void conflictKeepsTheExtensionLast() {
    assertThat(SideNames.conflict("report.pdf", T, "n2", false, 0)).isEqualTo("report.sync-conflict-20260304-050607-n2.pdf");
    assertThat(SideNames.conflict("a.tar.gz", T, "n2", false, 0)).isEqualTo("a.tar.sync-conflict-20260304-050607-n2.gz");
    assertThat(SideNames.conflict("Makefile", T, "n2", false, 1)).isEqualTo("Makefile.sync-conflict-20260304-050607-n2-1");
  }

  @Test
  void aDotfileHasNoExtensionAndADirKeepsItsName() {
    assertThat(SideNames.conflict(".bashrc", T, "n2", false, 0)).isEqualTo(".bashrc.sync-conflict-20260304-050607-n2");
    assertThat(SideNames.conflict("photos.2024", T, "n2", true, 0)).isEqualTo("photos.2024.sync-conflict-20260304-050607-n2");
  }

  @Test
  void longNamesAreCutToFitAndKeepTheirTag() {
    String name = "é".repeat(127) + ".txt"; // 258 bytes
    String c = SideNames.conflict(name, T, "n2", false, 0);
    assertThat(c.getBytes(StandardCharsets.UTF_8).length).isLessThanOrEqualTo(255);
    assertThat(c).endsWith("-n2.txt");
    assertThat(SideNames.temp("a".repeat(255)).getBytes(StandardCharsets.UTF_8).length).isLessThanOrEqualTo(255);
  }

  @Test
  void versionNamesRoundTripTheirTime() {
    assertThat(SideNames.versionTime(SideNames.version("a.txt", T, 0))).contains(T);
    assertThat(SideNames.versionTime(SideNames.version("a.txt", T, 3))).contains(T);
    assertThat(SideNames.versionTime("a.txt")).isEmpty();
    assertThat(SideNames.versionTime("a~20261399-000000")).isEmpty();
  }
}
