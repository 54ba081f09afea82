package tandem.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import tandem.core.Durations;

/** Reads a {@code postgres:} resource. */
final class PostgresReader {
  static final List<String> KEYS = List.of("bin", "data", "port", "synchronous", "synchronous-fallback",
      "max-lag-on-failover", "parameters", "user");
  /**
   * Settings tandem writes itself: where the server listens, how it replicates and its TLS. A
   * user's value would be overridden silently, or would break replication, so it is refused.
   */
  static final List<String> PROTECTED = List.of("port", "listen_addresses", "wal_level", "hot_standby", "wal_log_hints",
      "primary_conninfo", "primary_slot_name", "recovery_target_timeline", "synchronous_standby_names",
      "data_directory", "config_file", "hba_file", "ident_file", "include", "include_dir", "include_if_exists");

  private PostgresReader() {}

  static PostgresConfig read(Section s) {
    int mark = s.problems().mark();
    Optional<Path> bin = Optional.ofNullable(absolute(s, "bin", "/usr/lib/postgresql/15/bin"));
    Path data = null;
    if (s.required("data", "the server's data directory, e.g. data: /var/lib/tandem/pg") != null) {
      data = absolute(s, "data", "/var/lib/tandem/pg");
    }
    Integer port = s.number("port", PostgresConfig.DEFAULT_PORT, 1, 65535);
    PostgresConfig.Synchronous sync = synchronous(s);
    Optional<Duration> fallback = fallback(s);
    Long maxLag = size(s, "max-lag-on-failover", PostgresConfig.DEFAULT_MAX_LAG);
    Map<String, String> parameters = parameters(s);
    String user = s.text("user");
    if (user != null && !user.matches("[a-z_][a-z0-9_.-]*")) {
      s.problem("user", "'" + user + "' is not a user name; write the OS user PostgreSQL runs as, e.g. user: postgres");
    }
    if (!s.problems().noneSince(mark) || s.broken()) {
      return null;
    }
    return new PostgresConfig(bin, data, port, sync, fallback, maxLag, parameters,
        user == null ? PostgresConfig.DEFAULT_USER : user);
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

  private static PostgresConfig.Synchronous synchronous(Section s) {
    String t = s.text("synchronous");
    if (t == null) {
      return s.has("synchronous") ? null : PostgresConfig.Synchronous.OFF;
    }
    // YAML 1.1 readers turn a bare on/off into true/false; take either.
    String word = switch (t.toLowerCase(Locale.ROOT)) {
      case "true" -> "on";
      case "false" -> "off";
      default -> t.toLowerCase(Locale.ROOT);
    };
    for (PostgresConfig.Synchronous v : PostgresConfig.Synchronous.values()) {
      if (v.word().equals(word)) {
        return v;
      }
    }
    s.problem("synchronous", "'" + t + "' is not a synchronous mode: use off (commits never wait for a standby), on"
        + " (a commit waits for one standby) or quorum-2 (for two)");
    return null;
  }

  private static Optional<Duration> fallback(Section s) {
    String t = s.text("synchronous-fallback");
    if (t == null || t.equals("block")) {
      return Optional.empty();
    }
    try {
      Duration d = Durations.parse(t);
      if (d.isZero()) {
        s.problem("synchronous-fallback", "must be more than 0; write block (never fall back) or a time, e.g. 10s");
        return Optional.empty();
      }
      return Optional.of(d);
    } catch (IllegalArgumentException e) {
      s.problem("synchronous-fallback", "'" + t + "' is neither block nor a time: write block (commits wait until a"
          + " standby is back) or e.g. 10s (after 10 seconds without a standby, commit without one and say so)");
      return Optional.empty();
    }
  }

  private static Long size(Section s, String key, long absent) {
    String t = s.text(key);
    if (t == null) {
      return s.has(key) ? null : absent;
    }
    try {
      MinFree m = MinFree.parse(t);
      if (m.percent() == 0) {
        return m.bytes();
      }
    } catch (IllegalArgumentException e) {
      // Reported below with this key's own example.
    }
    s.problem(key, "'" + t + "' is not a size of WAL; write e.g. 16MB or 1GiB");
    return null;
  }

  private static Map<String, String> parameters(Section s) {
    Map<String, String> out = new LinkedHashMap<>();
    if (!s.has("parameters")) {
      return out;
    }
    Section p = s.open("parameters", "a map of PostgreSQL settings, e.g. parameters: { max_connections: 200 }");
    for (String key : p.keys()) {
      String name = key.toLowerCase(Locale.ROOT);
      if (PROTECTED.contains(name) || name.startsWith("ssl")) {
        p.problem(key, "'" + key + "' is set by tandem itself (where the server listens, how it replicates, its TLS);"
            + " remove it from parameters" + (name.equals("port") ? " and use postgres.port instead" : ""));
        continue;
      }
      if (!name.matches("[a-z_][a-z0-9_.]*")) {
        p.problem(key, "'" + key + "' is not a PostgreSQL setting name");
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
