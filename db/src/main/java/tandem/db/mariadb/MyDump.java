package tandem.db.mariadb;

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
import java.util.Set;
import tandem.db.DbException;
import tandem.db.DbSecrets;

/**
 * Consistent dumps of a node's MariaDB for backups: {@code mariadb-dump --single-transaction} of
 * each database (one consistent read of its InnoDB tables while the server runs, with routines,
 * triggers and events) and the server's accounts and grants ({@code --system=users}), as
 * tandem_admin over 127.0.0.1, written to the process's standard output so a backup streams them
 * into its repository without staging them on disk. A database's dump names no database, so it
 * restores into any one: {@code mariadb NEW_NAME < shop.sql}.
 */
public final class MyDump implements tandem.db.DumpLoader {
  /** The server's own schemas: never dumped as databases (accounts come from users.sql). */
  private static final Set<String> SYSTEM = Set.of("mysql", "information_schema", "performance_schema", "sys");
  private final MyRunner run;
  private final int port;
  private final Path secretsFile;
  private final List<String> only;

  /**
   * @param configuredBin the resource's {@code bin:}, empty for the usual places
   * @param secretsFile data-dir/mariadb/&lt;group&gt;-&lt;n&gt;.secrets on this node
   * @param only the resource's {@code databases:} filter; empty: every user database
   */
  public MyDump(Optional<Path> configuredBin, int port, Path secretsFile, List<String> only) throws DbException {
    // The dump tools run as this process's user: they only talk to the server over TCP.
    this.run = new MyRunner(configuredBin.orElse(Path.of("/usr/bin")), System.getProperty("user.name"));
    run.program(dumpTool());
    this.port = port;
    this.secretsFile = secretsFile;
    this.only = List.copyOf(only);
  }

  private String dumpTool() {
    return either("mariadb-dump", "mysqldump");
  }

  /** MariaDB's name of a program where it has one, else MySQL's. */
  private String either(String mariadb, String mysql) {
    try {
      run.program(mariadb);
      return mariadb;
    } catch (DbException e) {
      return mysql;
    }
  }

  private String adminPassword() throws IOException {
    DbSecrets s = DbSecrets.read(secretsFile);
    if (s == null) {
      throw new IOException("no MariaDB passwords at " + secretsFile + ": this node has not run the database yet");
    }
    return s.admin();
  }

  private Connection connect() throws IOException, SQLException {
    Properties p = new Properties();
    p.setProperty("user", MariadbEngine.ADMIN);
    p.setProperty("password", adminPassword());
    p.setProperty("connectTimeout", "5000");
    return DriverManager.getConnection("jdbc:mariadb://127.0.0.1:" + port + "/", p);
  }

  /** The databases to dump: the {@code databases:} filter's that exist, else every one but the system schemas. */
  public List<String> databases() throws IOException {
    List<String> out = new ArrayList<>();
    try (Connection c = connect();
        Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT schema_name FROM information_schema.schemata ORDER BY 1")) {
      while (rs.next()) {
        String db = rs.getString(1);
        if (!SYSTEM.contains(db) && (only.isEmpty() || only.contains(db))) {
          out.add(db);
        }
      }
    } catch (SQLException e) {
      throw new IOException("cannot list the databases of MariaDB on port " + port + ": " + e.getMessage(), e);
    }
    return out;
  }

  @Override
  public void createDatabase(String name) throws IOException {
    tandem.db.DumpLoader.checkedName(name);
    try (Connection c = connect(); Statement st = c.createStatement()) {
      try (ResultSet rs = st.executeQuery("SELECT @@read_only, EXISTS (SELECT 1 FROM information_schema.schemata WHERE schema_name = '"
          + name + "')")) {
        rs.next();
        // tandem_admin could write past read_only: a replica must not get a database its primary does not have.
        if (rs.getBoolean(1)) {
          throw new IOException("MariaDB on port " + port + " is a read-only replica on this node; run the restore on the"
              + " group's primary");
        }
        if (rs.getBoolean(2)) {
          throw new IOException("database " + name + " already exists on MariaDB on port " + port + "; restore into a new"
              + " name (nothing is overwritten)");
        }
      }
      st.execute("CREATE DATABASE `" + name + "`");
    } catch (SQLException e) {
      throw new IOException("cannot create database " + name + " on MariaDB on port " + port + ": " + e.getMessage(), e);
    }
  }

  @Override
  public void dropDatabase(String name) throws IOException {
    tandem.db.DumpLoader.checkedName(name);
    try (Connection c = connect(); Statement st = c.createStatement()) {
      st.execute("DROP DATABASE IF EXISTS `" + name + "`");
    } catch (SQLException e) {
      throw new IOException("cannot drop database " + name + " on MariaDB on port " + port + ": " + e.getMessage(), e);
    }
  }

  /** Starts the mariadb client on {@code database}, reading SQL on its standard input; it stops at the first error. */
  @Override
  public Process load(String database) throws IOException {
    return start(client(), List.of(tandem.db.DumpLoader.checkedName(database)));
  }

  private String client() {
    return either("mariadb", "mysql");
  }

  /** Starts the dump of {@code database} (SQL, no CREATE DATABASE or USE) to its standard output. */
  public Process dump(String database) throws IOException {
    return start(dumpTool(), List.of("--single-transaction", "--quick", "--routines", "--triggers", "--events", "--hex-blob",
        "--no-tablespaces", "--", database));
  }

  /** Starts the dump of the server's accounts and their grants (CREATE USER, GRANT) to its standard output. */
  public Process users() throws IOException {
    return start(dumpTool(), List.of("--system=users", "--insert-ignore", "--no-data", "--no-create-info", "--no-tablespaces"));
  }

  private Process start(String program, List<String> args) throws IOException {
    List<String> cmd = new ArrayList<>();
    try {
      cmd.add(run.program(program).toString());
    } catch (DbException e) {
      throw new IOException(e.getMessage(), e);
    }
    cmd.addAll(List.of("--protocol=TCP", "-h", "127.0.0.1", "-P", Integer.toString(port), "-u", MariadbEngine.ADMIN,
        "--ssl=0"));
    cmd.addAll(args);
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.PIPE);
    // MYSQL_PWD keeps the password off the command line (and out of ps).
    pb.environment().put("MYSQL_PWD", adminPassword());
    return pb.start();
  }
}
