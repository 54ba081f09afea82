package tandem.db.postgres;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import tandem.core.NodeName;
import tandem.db.DbException;
import tandem.db.Upstream;
import tandem.transport.NodeIdentity;

/**
 * Real PostgreSQL servers for tests, one per "node", each with its own port (below the ephemeral
 * range), data dir and identity under target/pg-tests. {@link #close()} stops every server it
 * started, by pg_ctl and then by the pid in postmaster.pid.
 */
final class PgNodes implements AutoCloseable {
  final Path dir;
  private final List<PostgresEngine> engines = new ArrayList<>();
  private final List<Path> dataDirs = new ArrayList<>();

  PgNodes(String test) throws IOException {
    this.dir = Path.of("target", "pg-tests", test).toAbsolutePath();
    wipe(dir);
    Files.createDirectories(dir);
  }

  /** A node's engine on a free port, its data at dir/name/pg. */
  PostgresEngine node(String name) throws IOException, DbException {
    Path home = dir.resolve(name);
    NodeIdentity id = NodeIdentity.create(home.resolve("id"), new NodeName(name), List.of("127.0.0.1"));
    return engine(name, home.resolve("pg"), home.resolve("secrets"), id);
  }

  /** Another engine on an existing data dir (e.g. a kept copy), with its own port. */
  PostgresEngine onData(String name, Path data, Path secrets) throws IOException, DbException {
    Path home = dir.resolve(name);
    NodeIdentity id = NodeIdentity.create(home.resolve("id"), new NodeName(name), List.of("127.0.0.1"));
    return engine(name, data, secrets, id);
  }

  private PostgresEngine engine(String name, Path data, Path secrets, NodeIdentity id) throws IOException, DbException {
    Path idDir = dir.resolve(name).resolve("id");
    PostgresSettings s = new PostgresSettings(PgBin.find(Optional.empty()), data, tandem.testkit.TestPorts.take(), "127.0.0.1", "postgres", name,
        Map.of("shared_buffers", "16MB", "max_connections", "20"), secrets,
        Files.readString(idDir.resolve("node.crt")), Files.readString(idDir.resolve("node.key")));
    PostgresEngine e = new PostgresEngine(s);
    engines.add(e);
    dataDirs.add(data);
    return e;
  }

  static Upstream upstream(PostgresEngine primary, String node, long epoch) throws DbException {
    return primary.asUpstream(node, "127.0.0.1", epoch);
  }


  @Override
  public void close() {
    for (PostgresEngine e : engines) {
      try {
        e.stop();
      } catch (DbException | RuntimeException ex) {
        System.err.println("cannot stop " + e.describe() + ": " + ex.getMessage());
      }
      e.postmasterPid().flatMap(ProcessHandle::of).ifPresent(ProcessHandle::destroyForcibly);
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
