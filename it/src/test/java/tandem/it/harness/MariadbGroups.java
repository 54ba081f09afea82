package tandem.it.harness;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.StringReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * MariaDB groups on a {@link TestCluster}'s data nodes, for the MariaDB failure stories. Each group
 * gets its own real server on every node (a port of its own, its data dir beside the node's
 * directory, named after the group), declared in the nodes' configs before they start. A story reads
 * and writes as tandem_admin (with the node's generated password) or as the application's ordinary
 * user {@code app} (password {@code app-pw}, which the story creates on the primary).
 *
 * <p>{@link #close()} kills every server the groups may have left running: call it after the
 * cluster is closed (an agent still cloning or rejoining would start its server again).
 */
public final class MariadbGroups implements AutoCloseable {
  /** Small servers: four of them share a busy 2-core machine. */
  private static final String PARAMETERS =
      "          parameters: { innodb-buffer-pool-size: 16M, innodb-log-file-size: 16M, performance-schema: 'OFF' }\n";
  /** MySQL's: its redo log is sized in one setting; performance_schema stays on (MySQL's replication status reads it). */
  private static final String MYSQL_PARAMETERS =
      "          parameters: { innodb-buffer-pool-size: 32M, innodb-redo-log-capacity: 64M }\n";
  /** Where dev/mysql.sh puts MySQL's programs (Debian 12 has no MySQL server). */
  public static final String MYSQL_BIN = System.getProperty("tandem.mysql.bin", "/opt/tandem-mysql/bin");
  private final TestCluster c;
  private final List<String> nodes;
  /** group -> its resource index among the node's databases (always 0: one database per group) -> node -> port. */
  private final Map<String, Map<String, Integer>> ports = new LinkedHashMap<>();

  /** The resources' kind: mariadb or mysql (also the directory of their secrets in a node's data dir). */
  private final String kind;

  private MariadbGroups(TestCluster c, List<String> nodes, String kind) {
    this.kind = kind;
    this.c = c;
    this.nodes = List.copyOf(nodes);
  }

  /**
   * Appends each group of {@code groups} (name -> extra lines of its {@code mariadb:} resource, e.g.
   * "replication: dump\n") to the configs of {@code nodes}, the first node preferred as primary, the
   * others active. The group named {@code db} keeps its data in {@code <node>/mysql}, any other in
   * {@code <node>/mysql-<group>}.
   */
  public static MariadbGroups declare(TestCluster c, List<String> nodes, Map<String, String> groups) throws IOException {
    return declare(c, nodes, groups, false);
  }

  /** As {@link #declare(TestCluster, List, Map)}, with {@code mysql: true} as {@code mysql:} resources on MySQL's servers. */
  public static MariadbGroups declare(TestCluster c, List<String> nodes, Map<String, String> groups, boolean mysql)
      throws IOException {
    if (mysql && !Files.isExecutable(Path.of(MYSQL_BIN, "mysqld"))) {
      throw new IllegalStateException("no MySQL server at " + MYSQL_BIN + ": run dev/mysql.sh (the test command does)");
    }
    MariadbGroups g = new MariadbGroups(c, nodes, mysql ? "mysql" : "mariadb");
    Set<Integer> taken = new HashSet<>();
    for (String n : c.names()) {
      taken.addAll(List.of(c.node(n).listenPort(), c.node(n).listenPort() + 1, c.node(n).apiPort()));
    }
    for (String group : groups.keySet()) {
      Map<String, Integer> byNode = new LinkedHashMap<>();
      for (String n : nodes) {
        byNode.put(n, Ports.free(taken));
      }
      g.ports.put(group, byNode);
    }
    for (String n : nodes) {
      StringBuilder yaml = new StringBuilder("\ngroups:\n");
      for (Map.Entry<String, String> e : groups.entrySet()) {
        String extra = e.getValue().lines().map(l -> "          " + l + "\n").reduce("", String::concat);
        yaml.append("  ").append(e.getKey()).append(":\n    nodes: { ").append(modes(nodes)).append(" }\n")
            .append("    resources:\n      - ").append(mysql ? "mysql" : "mariadb").append(":\n          data: \"")
            .append(g.data(e.getKey(), n)).append("\"\n")
            .append(mysql ? "          bin: " + MYSQL_BIN + "\n" : "")
            .append("          port: ").append(g.port(e.getKey(), n)).append("\n").append(extra)
            .append(mysql ? MYSQL_PARAMETERS : PARAMETERS);
      }
      Files.writeString(c.node(n).config(), yaml.toString(), StandardOpenOption.APPEND);
    }
    return g;
  }

  private static String modes(List<String> nodes) {
    StringBuilder out = new StringBuilder();
    for (String n : nodes) {
      out.append(out.isEmpty() ? "" : ", ").append(n).append(": ").append(out.isEmpty() ? "primary" : "active");
    }
    return out.toString();
  }

  public int port(String group, String node) {
    return ports.get(group).get(node);
  }

  /** The group's data dir on {@code node}. */
  public Path data(String group, String node) {
    return c.node(node).dir().resolve(group.equals("db") ? "mysql" : "mysql-" + group);
  }

  /** The pid of the group's mariadbd on {@code node}, as tandem recorded it. */
  public long serverPid(String group, String node) throws IOException {
    Path data = data(group, node);
    return Long.parseLong(Files.readString(data.resolveSibling(data.getFileName() + ".tandem/mariadbd.pid")).trim());
  }

  /** A connection as tandem_admin to the group's server on {@code node}. */
  public Connection connect(String group, String node) throws Exception {
    Properties secrets = new Properties();
    secrets.load(new StringReader(Files.readString(c.node(node).dataDir().resolve(kind + "/" + group + "-0.secrets"))));
    Properties p = new Properties();
    p.setProperty("user", "tandem_admin");
    p.setProperty("password", secrets.getProperty("admin"));
    p.setProperty("allowPublicKeyRetrieval", "true"); // MySQL's first login of an account over plain TCP
    p.setProperty("connectTimeout", "3000");
    p.setProperty("socketTimeout", "10000");
    return DriverManager.getConnection("jdbc:mariadb://127.0.0.1:" + port(group, node) + "/", p);
  }

  public void exec(String group, String node, String sql) throws Exception {
    try (Connection conn = connect(group, node); Statement st = conn.createStatement()) {
      st.execute(sql);
    }
  }

  public long count(String group, String node, String sql) throws Exception {
    return Long.parseLong(queryOne(group, node, sql));
  }

  public String queryOne(String group, String node, String sql) throws Exception {
    try (Connection conn = connect(group, node); Statement st = conn.createStatement(); ResultSet rs = st.executeQuery(sql)) {
      rs.next();
      return rs.getString(1);
    }
  }

  /** A connection as the application's ordinary user to database shop. */
  public Connection app(String group, String node) throws SQLException {
    return DriverManager.getConnection("jdbc:mariadb://127.0.0.1:" + port(group, node)
        + "/shop?user=app&password=app-pw&connectTimeout=2000&socketTimeout=5000&allowPublicKeyRetrieval=true");
  }

  public void asApp(String group, String node, String sql) throws SQLException {
    try (Connection conn = app(group, node); Statement st = conn.createStatement()) {
      st.execute(sql);
    }
  }

  /** An ordinary user (no privilege beyond its database) cannot write on a replica. */
  public void assertThatReplicaRefusesTheApp(String group, String node) throws Exception {
    try (Connection conn = app(group, node); Statement st = conn.createStatement()) {
      st.execute("INSERT INTO shop.t VALUES (-1, 'on a replica')");
    } catch (SQLException e) {
      assertThat(e.getMessage()).contains("read-only");
      return;
    }
    throw new AssertionError(node + " accepted a write from an ordinary user as a replica of group " + group);
  }

  /** What a switchover under the application's writes did: the rows acknowledged, the writes refused meanwhile, how long it took. */
  public record Switched(Set<Integer> acked, int refused, Duration took) {}

  /**
   * A planned switchover of {@code group} from {@code from} to {@code to} while the application
   * inserts numbered rows (from 2000) into shop.t, trying the other node whenever one refuses: waits
   * for 50 acknowledged writes before and 50 after, within {@code atMost} each.
   */
  public Switched switchoverUnderWrites(String group, String from, String to, Duration atMost) throws Exception {
    AtomicBoolean writing = new AtomicBoolean(true);
    Set<Integer> acked = ConcurrentHashMap.newKeySet();
    AtomicInteger refused = new AtomicInteger();
    Thread writer = Thread.ofPlatform().name("app-writer-" + group).start(() -> {
      String target = from;
      for (int i = 2000; writing.get(); i++) {
        try (Connection conn = app(group, target); Statement st = conn.createStatement()) {
          st.execute("INSERT INTO t VALUES (" + i + ", 'app write')");
          acked.add(i);
        } catch (SQLException e) {
          refused.incrementAndGet(); // read-only now, or the server is switching: the app tries the other node
          target = target.equals(from) ? to : from;
        }
      }
    });
    try {
      await("the app's writes reach " + from).atMost(atMost).until(() -> acked.size() >= 50);
      Instant asked = Instant.now();
      TestCluster.CliResult r = c.cli(from, "switchover", group, "--to", to);
      assertThat(r.exitCode()).as(r.output()).isZero();
      await(group + " runs on " + to).atMost(atMost).ignoreExceptions().until(() -> c.runsOn(group, to, to));
      int atSwitch = acked.size();
      await("the app's writes resume on " + to).atMost(atMost).until(() -> acked.size() >= atSwitch + 50);
      return new Switched(Set.copyOf(acked), refused.get(), Duration.between(asked, Instant.now()));
    } finally {
      writing.set(false);
      writer.join();
    }
  }

  /** The ids of shop.t from 2000 on (the application's writes) on the group's server on {@code node}. */
  public Set<Integer> appRows(String group, String node) throws Exception {
    Set<Integer> out = new HashSet<>();
    try (Connection conn = connect(group, node); Statement st = conn.createStatement();
        ResultSet rs = st.executeQuery("SELECT id FROM shop.t WHERE id >= 2000")) {
      while (rs.next()) {
        out.add(rs.getInt(1));
      }
    }
    return out;
  }

  /** Kills every group's server still running (after the agents are gone). */
  @Override
  public void close() {
    for (String group : ports.keySet()) {
      for (String n : nodes) {
        try {
          ProcessHandle.of(serverPid(group, n)).ifPresent(ProcessHandle::destroyForcibly);
        } catch (IOException | RuntimeException e) {
          // no server ran there
        }
      }
    }
  }
}
