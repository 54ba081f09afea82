package tandem.api;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** How status words a replica's data-loss window under {@code replication: dump}. */
class StatusBuilderDumpTest {
  private static final long NOW = 1_765_000_000_000L;

  @Test
  void copyAge_isStatedAsTheWritesAFailoverLoses() {
    assertThat(StatusBuilder.dumpWindow(NOW - 192_400, NOW, false))
        .isEqualTo("replication: dump, last copy 3m12s ago; a failover now loses up to 3m12s of writes");
  }

  @Test
  void failingDump_andNoCopyYet_areSaid() {
    assertThat(StatusBuilder.dumpWindow(NOW - 5_000, NOW, true))
        .isEqualTo("replication: dump, last copy 5s ago; a failover now loses up to 5s of writes; its last dump failed"
            + " (see the db-dump-failed event)");
    assertThat(StatusBuilder.dumpWindow(0, NOW, false))
        .isEqualTo("replication: dump, no copy yet; it cannot take over without losing every write");
  }
}
