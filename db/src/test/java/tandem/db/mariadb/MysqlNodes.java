package tandem.db.mariadb;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import tandem.core.NodeName;
import tandem.db.DbException;
import tandem.db.Upstream;
import tandem.transport.NodeIdentity;

/**
 * Real MySQL servers for tests, one per "node", each with its own port, data dir and identity
 * under target/mysql-tests, running as the mysql user. The programs come from {@link #BIN}
 * (dev/mysql.sh installs them: Debian 12 has no MySQL server). {@link #close()} stops every
 * server it started.
 */
final class MysqlNodes implements AutoCloseable {
  /** Where mysqld, mysql and mysqlbinlog are: -Dtandem.mysql.bin, else dev/mysql.sh's place. */
  static final Path BIN = Path.of(System.getProperty("tandem.mysql.bin", "/opt/tandem-mysql/bin"));
  final Path dir;
  private final Map<String, MysqlEngine> engines = new LinkedHashMap<>();

  MysqlNodes(String test) throws IOException {
    if (!Files.isExecutable(BIN.resolve("mysqld"))) {
      throw new IllegalStateException("no MySQL server at " + BIN + ": run dev/mysql.sh (the test command does)"
          + " or point -Dtandem.mysql.bin at a MySQL 8.4+ bin directory");
    }
    this.dir = Path.of("target", "mysql-tests", test).toAbsolutePath();
    MyNodes.wipe(dir);
    Files.createDirectories(dir);
  }

  /** A node's engine on a free port, its data at dir/name/db. */
  MysqlEngine node(String name) throws IOException {
    Path home = dir.resolve(name);
    NodeIdentity.create(home.resolve("id"), new NodeName(name), List.of("127.0.0.1"));
    MariadbSettings s = new MariadbSettings(BIN, home.resolve("db"), tandem.testkit.TestPorts.take(), "127.0.0.1", "mysql", name,
        List.of(), Map.of("innodb-buffer-pool-size", "32M", "innodb-redo-log-capacity", "64M"),
        home.resolve("secrets"), Files.readString(home.resolve("id/node.crt")), Files.readString(home.resolve("id/node.key")));
    MysqlEngine e = new MysqlEngine(s);
    engines.put(name, e);
    return e;
  }

  static Upstream upstream(MysqlEngine primary, String node, long epoch) throws DbException {
    return primary.asUpstream(node, "127.0.0.1", epoch);
  }

  /** kill -9 of the server: a crash. */
  static void crash(MysqlEngine e) throws Exception {
    ProcessHandle h = ProcessHandle.of(e.serverPid().orElseThrow()).orElseThrow();
    h.destroyForcibly();
    h.onExit().get(30, java.util.concurrent.TimeUnit.SECONDS);
  }

  @Override
  public void close() {
    for (MysqlEngine e : engines.values()) {
      try {
        e.stop();
      } catch (DbException | RuntimeException ex) {
        System.err.println("cannot stop " + e.describe() + ": " + ex.getMessage());
      }
      e.serverPid().flatMap(ProcessHandle::of).ifPresent(ProcessHandle::destroyForcibly);
    }
  }
}
