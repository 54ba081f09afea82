package tandem.db.postgres;

import java.io.IOException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import tandem.db.DbSecrets;
import tandem.db.DbException;

/**
 * Consistent dumps of a node's PostgreSQL for backups: {@code pg_dump --format=custom} of each
 * database (one transaction snapshot each, while the server runs) and {@code pg_dumpall
 * --globals-only} (roles, tablespaces), as tandem_admin over 127.0.0.1, written to the process's
 * standard output so a backup streams them into its repository without staging them on disk.
 */
public final class PgDump implements tandem.db.DumpLoader {
  private final Path bin;
  private final int port;
  private final Path secretsFile;

  /**
   * @param configuredBin the resource's {@code bin:}, empty to find it
   * @param secretsFile data-dir/postgres/&lt;group&gt;-&lt;n&gt;.secrets on this node
   */
  public PgDump(Optional<Path> configuredBin, int port, Path secretsFile) throws DbException {
    this.bin = PgBin.find(configuredBin);
    this.port = port;
    this.secretsFile = secretsFile;
  }

  private String adminPassword() throws IOException {
    DbSecrets s = DbSecrets.read(secretsFile);
    if (s == null) {
      throw new IOException("no PostgreSQL passwords at " + secretsFile + ": this node has not run the database yet");
    }
    return s.admin();
  }

  private Connection connect() throws IOException, SQLException {
    Properties p = new Properties();
    p.setProperty("user", PostgresEngine.ADMIN);
    p.setProperty("password", adminPassword());
    p.setProperty("sslmode", "disable");
    p.setProperty("connectTimeout", "5");
    return DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + port + "/postgres", p);
  }

  /** The databases to dump: every one that accepts connections, templates left out. */
  public List<String> databases() throws IOException {
    List<String> out = new ArrayList<>();
    try (Connection c = connect();
        Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT datname FROM pg_database WHERE datallowconn AND NOT datistemplate ORDER BY 1")) {
      while (rs.next()) {
        out.add(rs.getString(1));
      }
    } catch (SQLException e) {
      throw new IOException("cannot list the databases of PostgreSQL on port " + port + ": " + e.getMessage(), e);
    }
    return out;
  }

  @Override
  public void createDatabase(String name) throws IOException {
    tandem.db.DumpLoader.checkedName(name);
    try (Connection c = connect(); Statement st = c.createStatement()) {
      try (ResultSet rs = st.executeQuery("SELECT pg_is_in_recovery(), EXISTS (SELECT 1 FROM pg_database WHERE datname = '" + name + "')")) {
        rs.next();
        if (rs.getBoolean(1)) {
          throw new IOException("PostgreSQL on port " + port + " is a standby (read-only) on this node; run the restore on the"
              + " group's primary");
        }
        if (rs.getBoolean(2)) {
          throw new IOException("database " + name + " already exists on PostgreSQL on port " + port + "; restore into a new"
              + " name (nothing is overwritten)");
        }
      }
      st.execute("CREATE DATABASE \"" + name + "\"");
    } catch (SQLException e) {
      throw new IOException("cannot create database " + name + " on PostgreSQL on port " + port + ": " + e.getMessage(), e);
    }
  }

  @Override
  public void dropDatabase(String name) throws IOException {
    tandem.db.DumpLoader.checkedName(name);
    try (Connection c = connect(); Statement st = c.createStatement()) {
      st.execute("DROP DATABASE IF EXISTS \"" + name + "\"");
    } catch (SQLException e) {
      throw new IOException("cannot drop database " + name + " on PostgreSQL on port " + port + ": " + e.getMessage(), e);
    }
  }

  /** Starts pg_restore into {@code database}, reading a custom-format dump on its standard input, all or nothing. */
  @Override
  public Process load(String database) throws IOException {
    return start(List.of(bin.resolve("pg_restore").toString(), "--no-owner", "--exit-on-error", "--single-transaction",
        "--no-password", "-h", "127.0.0.1", "-p", Integer.toString(port), "-U", PostgresEngine.ADMIN, "-d",
        tandem.db.DumpLoader.checkedName(database)));
  }

  /** Starts pg_dump of {@code database} in custom format to its standard output. */
  public Process dump(String database) throws IOException {
    return start(List.of(bin.resolve("pg_dump").toString(), "--format=custom", "--compress=0", "--no-password",
        "-h", "127.0.0.1", "-p", Integer.toString(port), "-U", PostgresEngine.ADMIN, "-d", database));
  }

  /** Starts pg_dumpall --globals-only (roles, tablespaces) to its standard output. */
  public Process globals() throws IOException {
    return start(List.of(bin.resolve("pg_dumpall").toString(), "--globals-only", "--no-password", "-h", "127.0.0.1",
        "-p", Integer.toString(port), "-U", PostgresEngine.ADMIN, "-l", "postgres"));
  }

  /**
   * Starts pg_basebackup of the whole server as one tar stream (base.tar) on its standard output,
   * with the WAL needed to make it consistent inside (-X fetch): the base for point-in-time recovery.
   * It connects as the replication role over TLS, as replicas do; it works on a hot standby too.
   */
  public Process baseBackup() throws IOException {
    DbSecrets s = DbSecrets.read(secretsFile);
    if (s == null) {
      throw new IOException("no PostgreSQL passwords at " + secretsFile + ": this node has not run the database yet");
    }
    ProcessBuilder pb = new ProcessBuilder(List.of(bin.resolve("pg_basebackup").toString(), "-D", "-", "-F", "tar", "-X", "fetch",
        "--checkpoint=fast", "--no-manifest", "--no-password", "-h", "127.0.0.1", "-p", Integer.toString(port),
        "-U", PostgresEngine.REPLICATION)).redirectError(ProcessBuilder.Redirect.PIPE);
    pb.environment().put("PGPASSWORD", s.replication());
    pb.environment().put("PGSSLMODE", "require");
    pb.environment().put("PGCONNECT_TIMEOUT", "10");
    return pb.start();
  }

  private Process start(List<String> cmd) throws IOException {
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.PIPE);
    pb.environment().put("PGPASSWORD", adminPassword());
    pb.environment().put("PGSSLMODE", "disable");
    pb.environment().put("PGCONNECT_TIMEOUT", "10");
    return pb.start();
  }
}
