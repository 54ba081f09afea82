package tandem.config;

import java.time.Duration;
import java.util.Objects;

/**
 * When a replica is far enough behind to raise a {@code replication-lag} warning ({@code lag-alert:} in tandem.yaml).
 * The warning clears ({@code replication-lag-cleared}) once the replica is back under half the limit, so a replica
 * hovering at the limit does not flap.
 *
 * @param files a replicated directory: the age of the oldest change the replica has not acknowledged
 * @param database a database: the replica's replay delay as its primary sees it
 */
public record LagAlert(Duration files, Duration database) {
  public static final LagAlert DEFAULT = new LagAlert(Duration.ofMinutes(5), Duration.ofMinutes(1));

  public LagAlert {
    Objects.requireNonNull(files, "files");
    Objects.requireNonNull(database, "database");
  }
}
