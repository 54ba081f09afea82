package tandem.db.mariadb;

import java.io.IOException;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import tandem.core.NodeName;
import tandem.db.DbException;
import tandem.db.Upstream;
import tandem.transport.NodeIdentity;

/**
 * Real MariaDB servers for tests, one per "node", each with its own port (below the ephemeral
 * range), data dir and identity under target/mariadb-tests, running as the mysql user. A replica
 * clones from the primary's engine directly (the agent streams the same bytes over its transport).
 * {@link #close()} stops every server it started, by SQL and then by pid.
 */
final class MyNodes implements AutoCloseable {
  final Path dir;
  private final Map<String, MariadbEngine> engines = new LinkedHashMap<>();

  MyNodes(String test) throws IOException {
    this.dir = Path.of("target", "mariadb-tests", test).toAbsolutePath();
    wipe(dir);
    Files.createDirectories(dir);
  }

  /** A node's engine on a free port, its data at dir/name/db, replicating by GTID. */
  MariadbEngine node(String name) throws IOException {
    return node(name, java.time.Duration.ZERO);
  }

  /** A node's engine whose replicas take a dump every {@code dumpInterval} (zero: GTID replication). */
  MariadbEngine node(String name, java.time.Duration dumpInterval) throws IOException {
    Path home = dir.resolve(name);
    NodeIdentity.create(home.resolve("id"), new NodeName(name), List.of("127.0.0.1"));
    MariadbSettings s = new MariadbSettings(Path.of("/usr/sbin"), home.resolve("db"), tandem.testkit.TestPorts.take(), "127.0.0.1", "mysql", name,
        List.of(), Map.of("innodb-buffer-pool-size", "16M", "innodb-log-file-size", "16M", "performance-schema", "OFF"),
        home.resolve("secrets"), Files.readString(home.resolve("id/node.crt")), Files.readString(home.resolve("id/node.key")),
        dumpInterval);
    MariadbEngine e = new MariadbEngine(s, this::copyOf);
    engines.put(name, e);
    return e;
  }

  /** The primary's backup stream, as its agent would send it. */
  private java.io.InputStream copyOf(Upstream u) throws DbException {
    MariadbEngine from = engines.get(u.node());
    try {
      PipedInputStream in = new PipedInputStream(1 << 20);
      PipedOutputStream out = new PipedOutputStream(in);
      Thread.ofVirtual().start(() -> {
        try (out) {
          from.streamClone(out);
        } catch (DbException | IOException e) {
          System.err.println("backup stream of " + u.node() + " failed: " + e.getMessage());
        }
      });
      return in;
    } catch (IOException e) {
      throw new DbException(e.getMessage(), e);
    }
  }

  static Upstream upstream(MariadbEngine primary, String node, long epoch) throws DbException {
    return primary.asUpstream(node, "127.0.0.1", epoch);
  }

  /** Statements as tandem_admin on the node's server (MariaDB or MySQL). */
  static void exec(tandem.db.DatabaseEngine e, String... sql) throws SQLException {
    try (Connection c = admin(e); Statement st = c.createStatement()) {
      for (String s : sql) {
        st.execute(s);
      }
    }
  }

  static long count(tandem.db.DatabaseEngine e, String sql) throws SQLException {
    return Long.parseLong(text(e, sql));
  }

  /** The first column of the first row, as text. */
  static String text(tandem.db.DatabaseEngine e, String sql) throws SQLException {
    try (Connection c = admin(e); Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
      rs.next();
      return rs.getString(1);
    }
  }

  private static Connection admin(tandem.db.DatabaseEngine e) throws SQLException {
    return e.connect(java.util.Optional.empty(), java.time.Duration.ofSeconds(5));
  }

  static List<Long> ids(MariadbEngine e, String sql) throws SQLException {
    List<Long> out = new ArrayList<>();
    try (Connection c = e.connect(); Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
      while (rs.next()) {
        out.add(rs.getLong(1));
      }
    }
    return out;
  }

  /** kill -9 of the server: a crash. */
  static void crash(MariadbEngine e) throws Exception {
    ProcessHandle h = ProcessHandle.of(e.serverPid().orElseThrow()).orElseThrow();
    h.destroyForcibly();
    h.onExit().get(30, java.util.concurrent.TimeUnit.SECONDS);
  }


  @Override
  public void close() {
    for (MariadbEngine e : engines.values()) {
      try {
        e.stop();
      } catch (DbException | RuntimeException ex) {
        System.err.println("cannot stop " + e.describe() + ": " + ex.getMessage());
      }
      e.serverPid().flatMap(ProcessHandle::of).ifPresent(ProcessHandle::destroyForcibly);
    }
  }

  static void wipe(Path dir) throws IOException {
    if (Files.exists(dir)) {
      try (Stream<Path> s = Files.walk(dir)) {
        for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
          Files.delete(p);
        }
      }
    }
  }
}
