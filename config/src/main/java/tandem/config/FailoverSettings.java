package tandem.config;

import java.time.Duration;
import java.util.Objects;

/**
 * The lease timing that decides how fast a failed primary is replaced; it must be the same on every node.
 *
 * @param lease how long a primary keeps its role without a successful renewal; at least 3 x renewInterval
 * @param renewInterval how often the primary renews its lease through Raft
 * @param promoteMargin extra wait after a lease lapses before a standby may be promoted, to cover clock drift; shorter
 *     than the lease
 */
public record FailoverSettings(Duration lease, Duration renewInterval, Duration promoteMargin) {
  /** The timing used when tandem.yaml has no {@code failover:} section: 2s lease, 400ms renewals, 300ms margin. */
  public static final FailoverSettings DEFAULTS =
      new FailoverSettings(Duration.ofSeconds(2), Duration.ofMillis(400), Duration.ofMillis(300));

  public FailoverSettings {
    Checks.positive(lease, "lease");
    Checks.positive(renewInterval, "renewInterval");
    Objects.requireNonNull(promoteMargin, "promoteMargin");
    if (promoteMargin.isNegative()) {
      throw new IllegalArgumentException("promoteMargin must not be negative: " + promoteMargin);
    }
  }
}
