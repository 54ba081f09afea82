package tandem.config;

import java.time.Duration;
import java.util.Objects;
import tandem.core.Durations;

/**
 * How far behind its primary a MariaDB replica may be and still be promoted automatically
 * ({@code max-lag-on-failover}). Either form is judged from what the nodes reported while the old
 * primary was alive, so it holds when the primary is dead: a count compares GTID positions, a time
 * compares the primary's last report with the last report the replica had caught up with.
 */
public sealed interface MaxLag {

  /** The form as written in tandem.yaml: 1000 or 5s. */
  String text();

  /** At most {@code count} transactions (GTIDs) the old primary had reported and the replica had not received. */
  record Transactions(long count) implements MaxLag {
    public Transactions {
      if (count <= 0) {
        throw new IllegalArgumentException("max-lag-on-failover must be more than zero transactions, not " + count);
      }
    }

    @Override
    public String text() {
      return Long.toString(count);
    }
  }

  /**
   * At most {@code time} between the old primary's last report and the newest of its reports whose
   * position the replica had received: roughly the age of the oldest write it lacks.
   */
  record Behind(Duration time) implements MaxLag {
    public Behind {
      Objects.requireNonNull(time, "time");
      if (time.isNegative() || time.isZero()) {
        throw new IllegalArgumentException("max-lag-on-failover must be a positive time, not " + time);
      }
    }

    @Override
    public String text() {
      return Durations.format(time);
    }
  }
}
