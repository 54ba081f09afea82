package tandem.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import tandem.core.Durations;

/** Reads a {@code mariadb:} resource. */
final class MariadbReader {
  static final List<String> KEYS = List.of("bin", "data", "port", "semi-sync", "max-lag-on-failover", "databases",
      "parameters", "user", "replication", "dump-interval");
  /**
   * Server settings tandem writes itself: where the server listens and keeps its files, how it
   * replicates, its TLS, and what makes an acknowledged commit durable. A user's value would be
   * overridden silently, or would break replication or failover, so it is refused.
   */
  static final List<String> PROTECTED = List.of("port", "bind-address", "datadir", "socket", "pid-file", "log-error", "user",
      "server-id", "report-host", "report-port", "log-bin", "log-bin-index", "relay-log", "binlog-format", "log-slave-updates",
      "gtid-domain-id", "gtid-strict-mode", "skip-slave-start", "read-only", "sync-binlog", "innodb-flush-log-at-trx-commit",
      "slave-net-timeout", "skip-name-resolve",
      // MySQL's own names for the same, and what its replication and clone need
      "log-replica-updates", "skip-replica-start", "replica-net-timeout", "super-read-only", "enforce-gtid-consistency",
      "secure-file-priv", "mysqlx", "plugin-load-add", "plugin-load", "tmpdir");
  private static final List<String> SYSTEM = List.of("mysql", "information_schema", "performance_schema", "sys");

  private MariadbReader() {}

  static MariadbConfig read(Section s) {
    return read(s, MariadbConfig.Flavor.MARIADB);
  }

  /** A {@code mariadb:} or {@code mysql:} resource: the same keys, but MySQL replicates by GTID only. */
  static MariadbConfig read(Section s, MariadbConfig.Flavor flavor) {
    int mark = s.problems().mark();
    Optional<Path> bin = Optional.ofNullable(absolute(s, "bin", "/usr/sbin"));
    Path data = null;
    if (s.required("data", "the server's data directory, e.g. data: /var/lib/tandem/mysql") != null) {
      data = absolute(s, "data", "/var/lib/tandem/mysql");
    }
    Integer port = s.number("port", MariadbConfig.DEFAULT_PORT, 1, 65535);
    String semi = semiSyncWord(s);
    Optional<Duration> fallback = Optional.empty();
    if (semi != null && !semi.equals("on") && !semi.equals("off")) {
      fallback = semiSyncFallback(s, semi);
    }
    MaxLag maxLag = maxLag(s);
    List<String> databases = databases(s);
    Map<String, String> parameters = parameters(s);
    String user = s.text("user");
    if (user != null && !user.matches("[a-z_][a-z0-9_.-]*")) {
      s.problem("user", "'" + user + "' is not a user name; write the OS user MariaDB runs as, e.g. user: mysql");
    }
    MariadbConfig.Replication replication = replication(s);
    if (flavor == MariadbConfig.Flavor.MYSQL && replication == MariadbConfig.Replication.DUMP) {
      s.problem("replication", "dump is for MariaDB only; a mysql resource replicates its binlog by GTID: remove replication"
          + " (and dump-interval) or write replication: gtid");
      replication = null;
    }
    Duration interval = dumpInterval(s, replication);
    if (replication == MariadbConfig.Replication.DUMP) {
      dumpConflicts(s, semi);
    }
    if (!s.problems().noneSince(mark) || s.broken() || semi == null || replication == null || interval == null
        || maxLag == null) {
      return null;
    }
    return new MariadbConfig(bin, data, port, !semi.equals("off"), fallback, maxLag, databases, parameters,
        user == null ? MariadbConfig.DEFAULT_USER : user, replication, interval, flavor);
  }

  private static MariadbConfig.Replication replication(Section s) {
    String t = s.text("replication");
    if (t == null) {
      return s.has("replication") ? null : MariadbConfig.Replication.GTID;
    }
    for (MariadbConfig.Replication r : MariadbConfig.Replication.values()) {
      if (r.word().equals(t.toLowerCase(Locale.ROOT))) {
        return r;
      }
    }
    s.problem("replication", "'" + t + "' is not a replication mode: use gtid (the binlog replicated by GTID; a failover"
        + " loses at most the last few transactions) or dump (no binlog: a consistent dump every dump-interval, so a"
        + " failover loses up to dump-interval of writes)");
    return null;
  }

  /** dump-interval: only with dump, at least {@link MariadbConfig#MIN_DUMP_INTERVAL}. */
  private static Duration dumpInterval(Section s, MariadbConfig.Replication replication) {
    if (replication != MariadbConfig.Replication.DUMP) {
      if (s.has("dump-interval")) {
        s.problem("dump-interval", "only replication: dump takes dumps; remove dump-interval or set replication: dump");
      }
      return MariadbConfig.DEFAULT_DUMP_INTERVAL;
    }
    Duration d = s.duration("dump-interval", MariadbConfig.DEFAULT_DUMP_INTERVAL);
    if (d != null && d.compareTo(MariadbConfig.MIN_DUMP_INTERVAL) < 0) {
      s.problem("dump-interval", Durations.format(d) + " is too short: a replica would spend nearly all its time"
          + " restoring; use at least " + Durations.format(MariadbConfig.MIN_DUMP_INTERVAL) + ", e.g. dump-interval: 5m");
      return null;
    }
    return d;
  }

  /** Settings that only mean something with binlog replication. */
  private static void dumpConflicts(Section s, String semi) {
    if (semi != null && !semi.equals("off")) {
      s.problem("semi-sync", "semi-sync makes a commit wait for a binlog replica's acknowledgement; replication: dump"
          + " has no binlog and no such replica: remove semi-sync or use replication: gtid");
    }
    if (s.has("max-lag-on-failover")) {
      s.problem("max-lag-on-failover", "limits how far a binlog replica may be behind; with replication: dump a replica"
          + " is always up to dump-interval behind and the newest copy is promoted: remove max-lag-on-failover");
    }
  }

  private static Path absolute(Section s, String key, String example) {
    String text = s.text(key);
    Path p = text == null ? null : s.path(key, Path.of("/"));
    if (text != null && p != null && !text.startsWith("/")) {
      s.problem(key, "'" + text + "' is relative; write an absolute path, e.g. " + example);
      return null;
    }
    return p;
  }

  /** off, on, or a time (the text); null after a problem. */
  private static String semiSyncWord(Section s) {
    String t = s.text("semi-sync");
    if (t == null) {
      return s.has("semi-sync") ? null : "off";
    }
    // YAML 1.1 readers turn a bare on/off into true/false; take either.
    return switch (t.toLowerCase(Locale.ROOT)) {
      case "true", "on" -> "on";
      case "false", "off" -> "off";
      default -> t;
    };
  }

  private static Optional<Duration> semiSyncFallback(Section s, String t) {
    try {
      Duration d = Durations.parse(t);
      if (!d.isZero()) {
        return Optional.of(d);
      }
    } catch (IllegalArgumentException e) {
      // Reported below with every choice.
    }
    s.problem("semi-sync", "'" + t + "' is not a semi-sync mode: use off (commits never wait for a replica), on (a commit"
        + " waits for a replica's acknowledgement, as long as it takes) or a time such as 10s (waits at most that long"
        + " without a replica, then commits without one and says so)");
    return Optional.empty();
  }

  /**
   * A whole number is transactions (GTIDs the replica had not received of those the old primary
   * reported); a duration is time (how long before the old primary's last report the replica last
   * had everything it had reported). Either is known after the primary died.
   */
  private static MaxLag maxLag(Section s) {
    String t = s.text("max-lag-on-failover");
    if (t == null) {
      return s.has("max-lag-on-failover") ? null : MariadbConfig.DEFAULT_MAX_LAG;
    }
    if (t.matches("[1-9][0-9]{0,17}")) {
      return new MaxLag.Transactions(Long.parseLong(t));
    }
    try {
      Duration d = Durations.parse(t);
      if (!d.isZero()) {
        return new MaxLag.Behind(d);
      }
    } catch (IllegalArgumentException e) {
      // Reported below with both forms.
    }
    s.problem("max-lag-on-failover", "'" + t + "' is neither a number of transactions nor a time: write a count of"
        + " GTIDs a replica may miss, e.g. max-lag-on-failover: 1000, or how far behind in time it may be, e.g."
        + " max-lag-on-failover: 5s");
    return null;
  }

  private static List<String> databases(Section s) {
    List<String> out = new ArrayList<>();
    List<YamlValue> items = s.list("databases");
    for (int i = 0; i < items.size(); i++) {
      String path = Problems.item(s.pathOf("databases"), i);
      if (!(items.get(i) instanceof YamlValue.Scalar sc) || !sc.text().matches("[A-Za-z0-9_$]+")) {
        s.problems().add(path, "expected a database name such as wordpress, but found " + YamlValue.describe(items.get(i)));
      } else if (SYSTEM.contains(sc.text().toLowerCase(Locale.ROOT))) {
        s.problems().add(path, "'" + sc.text() + "' is a system schema; tandem replicates what it needs of it itself:"
            + " list only your own databases");
      } else {
        out.add(sc.text());
      }
    }
    return out;
  }

  private static Map<String, String> parameters(Section s) {
    Map<String, String> out = new LinkedHashMap<>();
    if (!s.has("parameters")) {
      return out;
    }
    Section p = s.open("parameters", "a map of MariaDB server settings, e.g. parameters: { max_connections: 200 }");
    for (String key : p.keys()) {
      String name = key.toLowerCase(Locale.ROOT).replace('_', '-');
      if (PROTECTED.contains(name) || name.startsWith("ssl") || name.startsWith("rpl-semi-sync")
          || name.startsWith("replicate-") || name.startsWith("gtid-")) {
        p.problem(key, "'" + key + "' is set by tandem itself (where the server listens, how it replicates, its TLS,"
            + " durability); remove it from parameters" + (name.equals("port") ? " and use mariadb.port instead"
            : name.startsWith("replicate-") ? " and use mariadb.databases instead" : name.startsWith("rpl-semi-sync")
            ? " and use mariadb.semi-sync instead" : ""));
        continue;
      }
      if (!name.matches("[a-z][a-z0-9.-]*")) {
        p.problem(key, "'" + key + "' is not a MariaDB setting name");
        continue;
      }
      String value = p.text(key);
      if (value != null) {
        out.put(name, value);
      }
    }
    return out;
  }
}
