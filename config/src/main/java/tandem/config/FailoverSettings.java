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

  /**
   * The fence window: how long a primary's stop chain has between the moment it is fenced and the earliest moment
   * another node may be promoted. A hung or dead agent is fenced by its watchdog at 85% of the lease after its last
   * renewal; the leader promotes no earlier than lease + promote-margin after it. So the window is 15% of the lease
   * plus the margin (0.6 s with the defaults). The failover module's LeaseTiming does the same arithmetic.
   */
  public Duration fenceWindow() {
    return lease.multipliedBy(15).dividedBy(100).plus(promoteMargin);
  }

  /**
   * The shortest lease whose fence window holds {@code chain} with this margin, rounded up to 100 ms (to whole seconds
   * from 10 s on, so that it can be written in tandem.yaml as it is printed); never shorter than this lease.
   */
  public Duration leaseFor(Duration chain) {
    long ms = Math.max(0, chain.minus(promoteMargin).toMillis());
    long lease = (ms * 100 + 14) / 15;
    long step = lease >= 10_000 ? 1000 : 100;
    return Duration.ofMillis(Math.max(this.lease.toMillis(), (lease + step - 1) / step * step));
  }
}
