package tandem.db.postgres;

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
import tandem.db.DbSecrets;
import tandem.core.NodeName;
import tandem.db.DbException;
import tandem.db.Scratch;
import tandem.transport.NodeIdentity;

/**
 * A throw-away PostgreSQL server for restore tests: its own data dir under the temp dir, its own
 * port on 127.0.0.1, made with the same initdb and roles as a group's server, removed by
 * {@link #close()}. Dumps are restored into it by {@code pg_restore} and {@code psql} reading their
 * standard input, so a dump streams from the repository without being staged on disk.
 */
public final class ScratchPostgres implements AutoCloseable {
  private final Path dir;
  private final PostgresEngine engine;
  private final PostgresSettings settings;
  /** Stops the server should this JVM be killed before {@link #close()}. */
  private volatile tandem.db.OrphanGuard guard;

  private ScratchPostgres(Path dir, PostgresEngine engine, PostgresSettings settings) {
    this.dir = dir;
    this.engine = engine;
    this.settings = settings;
  }

  /** Makes and starts a scratch server with the binaries of {@code bin} (found when empty), run as {@code osUser}. */
  public static ScratchPostgres start(Optional<Path> bin, String osUser) throws DbException, IOException {
    Path dir = Scratch.directory("tandem-scratch-pg-");
    try {
      NodeIdentity id = NodeIdentity.create(dir.resolve("id"), new NodeName("scratch"), List.of("127.0.0.1"));
      PostgresSettings s = new PostgresSettings(PgBin.find(bin), dir.resolve("pg"), Scratch.freePort(), "127.0.0.1", osUser, "scratch",
          Map.of("shared_buffers", "16MB", "max_connections", "20", "fsync", "off", "full_page_writes", "off"),
          dir.resolve("secrets"), id.certificatePem(), Files.readString(dir.resolve("id").resolve("node.key")));
      PostgresEngine e = new PostgresEngine(s);
      ScratchPostgres scratch = new ScratchPostgres(dir, e, s);
      try {
        e.bootstrap();
        scratch.guard = tandem.db.OrphanGuard.postgres(s.data());
        e.startPrimary();
      } catch (DbException | RuntimeException ex) {
        scratch.close();
        throw ex;
      }
      return scratch;
    } catch (IOException | RuntimeException ex) {
      Scratch.delete(dir);
      throw ex;
    }
  }

  public int port() {
    return settings.port();
  }

  /** Starts {@code pg_restore} of a custom-format dump from its standard input into a new database {@code database}. */
  public Process restore(String database) throws IOException, DbException {
    createDatabase(database);
    return start(List.of(settings.bin().resolve("pg_restore").toString(), "--no-owner", "--no-privileges", "--exit-on-error",
        "-h", "127.0.0.1", "-p", Integer.toString(port()), "-U", PostgresEngine.ADMIN, "-d", database));
  }

  /** Starts {@code psql} running the SQL on its standard input (e.g. globals.sql) in database postgres. */
  public Process psql() throws IOException {
    return start(List.of(settings.bin().resolve("psql").toString(), "-q", "-X", "-h", "127.0.0.1", "-p", Integer.toString(port()),
        "-U", PostgresEngine.ADMIN, "-d", "postgres"));
  }

  /** Work that may change tandem_admin's password. */
  @FunctionalInterface
  public interface Work<T> {
    T run() throws IOException;
  }

  /**
   * Runs {@code work} (e.g. psql of a dumped server's globals.sql, which sets tandem_admin's password
   * to that server's) while holding a connection, then sets the scratch server's own password again.
   */
  public <T> T keepingAccess(Work<T> work) throws IOException, DbException {
    try (Connection c = engine.connect(); Statement st = c.createStatement()) {
      T result = work.run();
      String pw = DbSecrets.read(settings.secrets()).admin().replace("'", "''");
      st.execute("ALTER ROLE " + PostgresEngine.ADMIN + " WITH SUPERUSER LOGIN PASSWORD '" + pw + "'");
      return result;
    } catch (SQLException e) {
      throw new DbException("cannot keep access to the scratch server: " + e.getMessage(), e);
    }
  }

  private void createDatabase(String database) throws DbException {
    if (database.equals("postgres")) {
      return;
    }
    try (Connection c = engine.connect(); Statement st = c.createStatement()) {
      st.execute("CREATE DATABASE \"" + database.replace("\"", "\"\"") + "\"");
    } catch (SQLException e) {
      throw new DbException("cannot create database " + database + " in the scratch server: " + e.getMessage(), e);
    }
  }

  /** Counts the user tables of {@code database} and the rows of each (a full read: every page must be readable). */
  public Scratch.Contents contents(String database) throws DbException {
    try (Connection c = engine.connect(Optional.of(database), Duration.ofSeconds(10)); Statement st = c.createStatement()) {
      List<String> tables = new ArrayList<>();
      try (ResultSet rs = st.executeQuery("SELECT format('%I.%I', schemaname, tablename) FROM pg_tables"
          + " WHERE schemaname NOT IN ('pg_catalog', 'information_schema') ORDER BY 1")) {
        while (rs.next()) {
          tables.add(rs.getString(1));
        }
      }
      long rows = 0;
      for (String t : tables) {
        try (ResultSet rs = st.executeQuery("SELECT count(*) FROM " + t)) {
          rs.next();
          rows += rs.getLong(1);
        }
      }
      return new Scratch.Contents(tables.size(), rows);
    } catch (SQLException e) {
      throw new DbException("cannot read database " + database + " in the scratch server: " + e.getMessage(), e);
    }
  }

  private Process start(List<String> cmd) throws IOException {
    DbSecrets secrets = DbSecrets.read(settings.secrets());
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectOutput(ProcessBuilder.Redirect.DISCARD);
    pb.environment().put("PGPASSWORD", secrets.admin());
    pb.environment().put("PGSSLMODE", "disable");
    pb.environment().put("PGCONNECT_TIMEOUT", "10");
    return pb.start();
  }

  /** Stops the server and removes everything it wrote. */
  @Override
  public void close() {
    try {
      engine.stop();
    } catch (DbException e) {
      // removed anyway below; a server still running on a deleted dir stops on its own
    }
    if (guard != null) {
      guard.close();
    }
    Scratch.delete(dir);
  }
}
