package tandem.db.mariadb;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import tandem.core.NodeName;
import tandem.db.DbException;
import tandem.db.Scratch;
import tandem.transport.NodeIdentity;

/**
 * A throw-away MariaDB server for restore tests: its own data dir under the temp dir, its own port
 * on 127.0.0.1, made by the same bootstrap as a group's server, removed by {@link #close()}. A
 * database's dump is loaded by the mariadb client reading its standard input, so it streams from
 * the repository without being staged on disk.
 */
public final class ScratchMariadb implements AutoCloseable {
  private final Path dir;
  private final tandem.db.DatabaseEngine engine;
  private final MyDump loader;
  /** Stops the server should this JVM be killed before {@link #close()}. */
  private final tandem.db.OrphanGuard guard;

  private ScratchMariadb(Path dir, tandem.db.DatabaseEngine engine, MyDump loader, tandem.db.OrphanGuard guard) {
    this.guard = guard;
    this.dir = dir;
    this.engine = engine;
    this.loader = loader;
  }

  /** Makes and starts a scratch server with the programs of {@code bin} (the usual places when empty), run as {@code osUser}. */
  public static ScratchMariadb start(Optional<Path> bin, String osUser) throws DbException, IOException {
    return start(bin, osUser, false);
  }

  /** As {@link #start(Optional, String)}; with {@code mysql} a MySQL server (mysqld) instead of MariaDB's. */
  public static ScratchMariadb start(Optional<Path> bin, String osUser, boolean mysql) throws DbException, IOException {
    Path dir = Scratch.directory("tandem-scratch-my-");
    try {
      NodeIdentity id = NodeIdentity.create(dir.resolve("id"), new NodeName("scratch"), List.of("127.0.0.1"));
      int port = Scratch.freePort();
      Map<String, String> small = mysql ? Map.of("innodb-buffer-pool-size", "32M", "innodb-redo-log-capacity", "64M")
          : Map.of("innodb-buffer-pool-size", "16M", "innodb-log-file-size", "16M", "performance-schema", "OFF");
      MariadbSettings s = new MariadbSettings(bin.orElse(Path.of("/usr/sbin")), dir.resolve("db"), port, "127.0.0.1", osUser,
          "scratch", List.of(), small, dir.resolve("secrets"), id.certificatePem(),
          Files.readString(dir.resolve("id").resolve("node.key")));
      tandem.db.DatabaseEngine e = mysql ? new MysqlEngine(s) : new MariadbEngine(s, u -> {
        throw new DbException("a scratch server clones from no one");
      });
      Path pidFile = new MyConf(s).pidFile();
      tandem.db.OrphanGuard guard = tandem.db.OrphanGuard.start(ProcessHandle.current().pid(), pidFile, "TERM");
      ScratchMariadb scratch = new ScratchMariadb(dir, e, null, guard);
      try {
        e.bootstrap();
        e.startPrimary();
        return new ScratchMariadb(dir, e, new MyDump(bin, port, s.secrets(), List.of(), mysql), guard);
      } catch (DbException | RuntimeException ex) {
        scratch.close();
        throw ex;
      }
    } catch (IOException | RuntimeException ex) {
      Scratch.delete(dir);
      throw ex;
    }
  }

  /** Creates {@code database} and starts the mariadb client loading the SQL on its standard input into it. */
  public Process restore(String database) throws IOException {
    loader.createDatabase(database);
    return loader.load(database);
  }

  /** Counts the tables of {@code database} and the rows of each (a full read of every table). */
  public Scratch.Contents contents(String database) throws DbException {
    try (Connection c = engine.connect(Optional.of(database), Duration.ofSeconds(10)); Statement st = c.createStatement()) {
      List<String> tables = new ArrayList<>();
      try (ResultSet rs = st.executeQuery("SELECT table_name FROM information_schema.tables WHERE table_schema = DATABASE()"
          + " AND table_type = 'BASE TABLE' ORDER BY 1")) {
        while (rs.next()) {
          tables.add(rs.getString(1));
        }
      }
      long rows = 0;
      for (String t : tables) {
        try (ResultSet rs = st.executeQuery("SELECT count(*) FROM `" + t.replace("`", "``") + "`")) {
          rs.next();
          rows += rs.getLong(1);
        }
      }
      return new Scratch.Contents(tables.size(), rows);
    } catch (SQLException e) {
      throw new DbException("cannot read database " + database + " in the scratch server: " + e.getMessage(), e);
    }
  }

  /** Stops the server and removes everything it wrote. */
  @Override
  public void close() {
    try {
      engine.stop();
    } catch (DbException e) {
      // removed anyway below
    }
    guard.close();
    Scratch.delete(dir);
  }
}
