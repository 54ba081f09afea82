package tandem.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * A MariaDB server replicated by tandem. With {@code replication: gtid} (the default) the primary's
 * binlog is replicated by GTID to a read-only replica on every other node of the group; on failover
 * the most advanced replica is promoted and the others re-point to it. With {@code replication: dump}
 * no binlog is written: every {@code dump-interval} each replica takes a consistent dump of the
 * primary and installs it, so a failover loses the writes made since the promoted replica's last
 * completed dump.
 *
 * @param bin where mariadbd, mariadb-install-db, mariadb-backup and mbstream are looked for first;
 *     empty: /usr/sbin, /usr/bin, /usr/local/bin, /usr/local/mysql/bin
 * @param data the data directory on this node
 * @param port the port the server listens on
 * @param semiSync whether a commit waits for a replica's acknowledgement
 * @param semiSyncFallback with semi-sync on: empty, commits wait while no replica is there
 *     (strict); else they stop waiting after this long without one, and tandem says so
 * @param maxLagOnFailover a replica further behind than this (transactions or time) is not promoted automatically
 * @param databases the databases replicas apply; empty: all
 * @param parameters server settings passed on as they are; tandem's own keys are refused
 * @param user the operating-system user the server runs as
 * @param replication how replicas get the primary's data
 * @param dumpInterval with {@link Replication#DUMP}: how often a replica takes a dump; else ignored
 *     (the default)
 * @param flavor MariaDB ({@code mariadb:}) or MySQL 8.4+ ({@code mysql:}, GTID replication only)
 */
public record MariadbConfig(Optional<Path> bin, Path data, int port, boolean semiSync, Optional<Duration> semiSyncFallback,
    MaxLag maxLagOnFailover, List<String> databases, Map<String, String> parameters, String user, Replication replication,
    Duration dumpInterval, Flavor flavor)
    implements ResourceConfig {
  /** The port used when {@code port:} is not set. */
  public static final int DEFAULT_PORT = 3306;
  /** max-lag-on-failover when not set: 1000 transactions. */
  public static final MaxLag DEFAULT_MAX_LAG = new MaxLag.Transactions(1000);
  /** The OS user when {@code user:} is not set, as Debian's and Red Hat's packages create it. */
  public static final String DEFAULT_USER = "mysql";
  /** dump-interval when not set. */
  public static final Duration DEFAULT_DUMP_INTERVAL = Duration.ofMinutes(5);
  /** The shortest dump-interval: below it a replica would restore nearly all the time. */
  public static final Duration MIN_DUMP_INTERVAL = Duration.ofSeconds(10);

  /** How a replica gets the primary's data. */
  public enum Replication {
    /** Row-based binlog replicated by GTID: a replica is at most a few transactions behind. */
    GTID,
    /**
     * No binlog: a consistent dump every dump-interval, restored on each replica. A failover loses
     * every write made after the promoted replica's last completed dump.
     */
    DUMP;

    /** The word in tandem.yaml: gtid or dump. */
    public String word() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }

  /** Which server: the resource's key in tandem.yaml. */
  public enum Flavor {
    MARIADB,
    MYSQL;

    /** The word in tandem.yaml: mariadb or mysql. */
    public String word() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }

  /** A MariaDB server, as before {@code mysql:} existed. */
  public MariadbConfig(Optional<Path> bin, Path data, int port, boolean semiSync, Optional<Duration> semiSyncFallback,
      MaxLag maxLagOnFailover, List<String> databases, Map<String, String> parameters, String user, Replication replication,
      Duration dumpInterval) {
    this(bin, data, port, semiSync, semiSyncFallback, maxLagOnFailover, databases, parameters, user, replication, dumpInterval,
        Flavor.MARIADB);
  }

  /** A GTID-replicated server, as before {@code replication:} existed. */
  public MariadbConfig(Optional<Path> bin, Path data, int port, boolean semiSync, Optional<Duration> semiSyncFallback,
      long maxLagOnFailover, List<String> databases, Map<String, String> parameters, String user) {
    this(bin, data, port, semiSync, semiSyncFallback, new MaxLag.Transactions(maxLagOnFailover), databases, parameters, user,
        Replication.GTID, DEFAULT_DUMP_INTERVAL);
  }

  public MariadbConfig {
    Objects.requireNonNull(bin, "bin");
    Objects.requireNonNull(data, "data");
    Checks.range(port, 1, 65535, "port");
    Objects.requireNonNull(semiSyncFallback, "semiSyncFallback");
    if (!semiSync && semiSyncFallback.isPresent()) {
      throw new IllegalArgumentException("a semi-sync fallback needs semi-sync on");
    }
    Objects.requireNonNull(maxLagOnFailover, "maxLagOnFailover");
    databases = List.copyOf(databases);
    parameters = Map.copyOf(parameters);
    Checks.notBlank(user, "user");
    Objects.requireNonNull(replication, "replication");
    Objects.requireNonNull(dumpInterval, "dumpInterval");
    if (replication == Replication.DUMP && semiSync) {
      throw new IllegalArgumentException("semi-sync needs binlog replication; replication: dump has none");
    }
    Objects.requireNonNull(flavor, "flavor");
    if (flavor == Flavor.MYSQL && replication == Replication.DUMP) {
      throw new IllegalArgumentException("replication: dump is for MariaDB only");
    }
    if (dumpInterval.compareTo(MIN_DUMP_INTERVAL) < 0) {
      throw new IllegalArgumentException("dumpInterval must be at least " + MIN_DUMP_INTERVAL + ", not " + dumpInterval);
    }
  }

  /** True when replicas copy the primary by periodic dumps instead of binlog replication. */
  public boolean dumps() {
    return replication == Replication.DUMP;
  }

  @Override
  public String kind() {
    return flavor.word();
  }

  /** True for MySQL's mysqld, false for MariaDB's mariadbd. */
  public boolean mysql() {
    return flavor == Flavor.MYSQL;
  }
}
