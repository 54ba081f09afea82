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
public final class PgDump {
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

  /** The databases to dump: every one that accepts connections, templates left out. */
  public List<String> databases() throws IOException {
    Properties p = new Properties();
    p.setProperty("user", PostgresEngine.ADMIN);
    p.setProperty("password", adminPassword());
    p.setProperty("sslmode", "disable");
    p.setProperty("connectTimeout", "5");
    List<String> out = new ArrayList<>();
    try (Connection c = DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + port + "/postgres", p);
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

  private Process start(List<String> cmd) throws IOException {
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.PIPE);
    pb.environment().put("PGPASSWORD", adminPassword());
    pb.environment().put("PGSSLMODE", "disable");
    pb.environment().put("PGCONNECT_TIMEOUT", "10");
    return pb.start();
  }
}
