package tandem.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * A PostgreSQL server replicated by tandem: the primary's server streams its WAL to a hot standby
 * on every other node of the group; on failover the best standby is promoted and the others
 * follow it.
 *
 * @param bin the directory of initdb, pg_ctl, pg_basebackup and pg_rewind; empty: the highest
 *     /usr/lib/postgresql/&lt;version&gt;/bin found at start
 * @param data the data directory on this node
 * @param port the port the server listens on
 * @param synchronous whether a commit waits for a standby
 * @param synchronousFallback empty: block while no standby is there (strict); else fall back to
 *     asynchronous commits after this long without one, and say so
 * @param maxLagOnFailover a standby further behind than this many bytes is not promoted automatically
 * @param parameters settings passed to the server as they are; tandem's own keys are refused
 * @param user the operating-system user the server runs as
 */
public record PostgresConfig(Optional<Path> bin, Path data, int port, Synchronous synchronous,
    Optional<Duration> synchronousFallback, long maxLagOnFailover, Map<String, String> parameters, String user)
    implements ResourceConfig {
  /** The port used when {@code port:} is not set. */
  public static final int DEFAULT_PORT = 5432;
  /** max-lag-on-failover when not set: 16 MiB of WAL. */
  public static final long DEFAULT_MAX_LAG = 16L << 20;
  /** The OS user when {@code user:} is not set, as Debian's and Red Hat's packages create it. */
  public static final String DEFAULT_USER = "postgres";

  /** When a commit is acknowledged. */
  public enum Synchronous {
    /** As soon as it is on the primary's disk: a failover may lose the last commits. */
    OFF,
    /** Once one standby has it: a failover loses no acknowledged commit. */
    ON,
    /** Once two standbys have it. */
    QUORUM_2;

    /** The word in tandem.yaml: off, on, quorum-2. */
    public String word() {
      return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }
  }

  public PostgresConfig {
    Objects.requireNonNull(bin, "bin");
    Objects.requireNonNull(data, "data");
    Checks.range(port, 1, 65535, "port");
    Objects.requireNonNull(synchronous, "synchronous");
    Objects.requireNonNull(synchronousFallback, "synchronousFallback");
    if (maxLagOnFailover <= 0) {
      throw new IllegalArgumentException("maxLagOnFailover must be more than zero, not " + maxLagOnFailover);
    }
    parameters = Map.copyOf(parameters);
    Checks.notBlank(user, "user");
  }

  @Override
  public String kind() {
    return "postgres";
  }
}
