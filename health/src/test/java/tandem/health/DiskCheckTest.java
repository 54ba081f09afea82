package tandem.health;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tandem.config.CheckTarget;

class DiskCheckTest {
  private static final Duration TIMEOUT = Duration.ofSeconds(5);

  @TempDir Path dir;

  @Test
  void hugeMinimumFree_fails() throws Exception {
    CheckOutcome outcome = disk(dir, Long.MAX_VALUE, 0).run(TIMEOUT);

    assertThat(outcome.passed()).isFalse();
    assertThat(outcome.detail()).contains(" free (", "%) on " + dir).endsWith(", below the minimum of 8.0 EiB");
  }

  @Test
  void oneByteMinimumFree_passes() throws Exception {
    CheckOutcome outcome = disk(dir, 1, 0).run(TIMEOUT);

    assertThat(outcome.passed()).isTrue();
    assertThat(outcome.detail()).matches("\\d+(\\.\\d)? (B|KiB|MiB|GiB|TiB|PiB) free \\(\\d+%\\) on " + dir);
  }

  @Test
  void hundredPercentFreeRequired_fails() throws Exception {
    assertThat(disk(dir, 0, 100).run(TIMEOUT).detail()).endsWith("below the minimum of 100%");
  }

  @Test
  void missingPath_fails() throws Exception {
    Path missing = dir.resolve("nope");

    assertThat(disk(missing, 1, 0).run(TIMEOUT)).isEqualTo(CheckOutcome.fail(missing + " does not exist"));
  }

  @Test
  void describe_namesBothMinimums() {
    assertThat(disk(Path.of("/var"), 5L << 30, 10).describe()).isEqualTo("disk /var needs 5.0 GiB and 10% free");
  }

  private static HealthCheck disk(Path path, long minFreeBytes, int minFreePercent) {
    return HealthChecks.of(new CheckTarget.Disk(path, minFreeBytes, minFreePercent));
  }
}
