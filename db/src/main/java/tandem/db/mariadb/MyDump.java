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
 *
 * <p>MySQL's: {@code mysqldump --single-transaction --set-gtid-purged=OFF} (a dump that set
 * GTID_PURGED and turned the binlog off would neither load into a running server nor reach its
 * replicas), and the accounts as {@code SHOW CREATE USER} and {@code SHOW GRANTS} of each.
 */
public final class MyDump implements tandem.db.DumpLoader {
  /** The server's own schemas: never dumped as databases (accounts come from users.sql). */
  private static final Set<String> SYSTEM = Set.of("mysql", "information_schema", "performance_schema", "sys");
  private final MyRunner run;
  private final int port;
  private final Path secretsFile;
  private final List<String> only;
  /** MySQL's mysqldump and mysql client, not MariaDB's. */
  private final boolean mysql;
  /** The server's name in messages. */
  private final String server;

  /**
   * @param configuredBin the resource's {@code bin:}, empty for the usual places
   * @param secretsFile data-dir/mariadb/&lt;group&gt;-&lt;n&gt;.secrets on this node
   * @param only the resource's {@code databases:} filter; empty: every user database
   */
  public MyDump(Optional<Path> configuredBin, int port, Path secretsFile, List<String> only) throws DbException {
    this(configuredBin, port, secretsFile, only, false);
  }

  /** @param mysql a MySQL server (mysqldump, mysql), else MariaDB (mariadb-dump, mariadb) */
  public MyDump(Optional<Path> configuredBin, int port, Path secretsFile, List<String> only, boolean mysql) throws DbException {
    this.mysql = mysql;
    this.server = mysql ? "MySQL" : "MariaDB";
    // The dump tools run as this process's user: they only talk to the server over TCP.
    this.run = mysql ? new MyRunner(configuredBin.orElse(Path.of("/usr/bin")), System.getProperty("user.name"),
        "MySQL's client programs (mysqldump, mysql)", "mysql.bin")
        : new MyRunner(configuredBin.orElse(Path.of("/usr/bin")), System.getProperty("user.name"));
    run.program(dumpTool());
    this.port = port;
    this.secretsFile = secretsFile;
    this.only = List.copyOf(only);
  }

  private String dumpTool() {
    return mysql ? "mysqldump" : either("mariadb-dump", "mysqldump");
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
      throw new IOException("no " + server + " passwords at " + secretsFile + ": this node has not run the database yet");
    }
    return s.admin();
  }

  private Connection connect() throws IOException, SQLException {
    Properties p = new Properties();
    p.setProperty("user", MariadbEngine.ADMIN);
    p.setProperty("password", adminPassword());
    p.setProperty("connectTimeout", "5000");
    p.setProperty("allowPublicKeyRetrieval", "true");
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
      throw new IOException("cannot list the databases of " + server + " on port " + port + ": " + e.getMessage(), e);
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
          throw new IOException(server + " on port " + port + " is a read-only replica on this node; run the restore on the"
              + " group's primary");
        }
        if (rs.getBoolean(2)) {
          throw new IOException("database " + name + " already exists on " + server + " on port " + port + "; restore into a new"
              + " name (nothing is overwritten)");
        }
      }
      st.execute("CREATE DATABASE `" + name + "`");
    } catch (SQLException e) {
      throw new IOException("cannot create database " + name + " on " + server + " on port " + port + ": " + e.getMessage(), e);
    }
  }

  @Override
  public void dropDatabase(String name) throws IOException {
    tandem.db.DumpLoader.checkedName(name);
    try (Connection c = connect(); Statement st = c.createStatement()) {
      st.execute("DROP DATABASE IF EXISTS `" + name + "`");
    } catch (SQLException e) {
      throw new IOException("cannot drop database " + name + " on " + server + " on port " + port + ": " + e.getMessage(), e);
    }
  }

  /** Starts the mariadb client on {@code database}, reading SQL on its standard input; it stops at the first error. */
  @Override
  public Process load(String database) throws IOException {
    return start(client(), List.of(tandem.db.DumpLoader.checkedName(database)));
  }

  private String client() {
    return mysql ? "mysql" : either("mariadb", "mysql");
  }

  /** Starts the dump of {@code database} (SQL, no CREATE DATABASE or USE) to its standard output. */
  public Process dump(String database) throws IOException {
    List<String> args = new ArrayList<>(List.of("--single-transaction", "--quick", "--routines", "--triggers", "--events",
        "--hex-blob", "--no-tablespaces"));
    if (mysql) {
      args.add("--set-gtid-purged=OFF");
    }
    args.addAll(List.of("--", database));
    return start(dumpTool(), args);
  }

  /** Starts the dump of the server's accounts and their grants (CREATE USER, GRANT) to its standard output. */
  public Process users() throws IOException {
    if (mysql) {
      return mysqlUsers();
    }
    return start(dumpTool(), List.of("--system=users", "--insert-ignore", "--no-data", "--no-create-info", "--no-tablespaces"));
  }

  /**
   * MySQL's mysqldump has no --system=users: the mysql client lists the accounts (but the
   * server's own, root and tandem's), then prints each one's SHOW CREATE USER (IF NOT EXISTS, its
   * password hash in hex) and SHOW GRANTS, one statement per line.
   */
  private Process mysqlUsers() throws IOException {
    String client;
    try {
      client = run.program("mysql").toString();
    } catch (DbException e) {
      throw new IOException(e.getMessage(), e);
    }
    String mysqlCmd = MyRunner.quote(client) + " " + String.join(" ", connection().stream().map(MyRunner::quote).toList())
        + " --batch --skip-column-names --raw";
    String list = "SELECT CONCAT(QUOTE(user), '@', QUOTE(host)) FROM mysql.user WHERE user NOT IN ('root', 'mysql.sys',"
        + " 'mysql.session', 'mysql.infoschema', '" + MariadbEngine.ADMIN + "', '" + MariadbEngine.REPLICATION + "') ORDER BY 1";
    String script = "set -eo pipefail; " + mysqlCmd + " -e \"" + list + "\" | while IFS= read -r u; do " + mysqlCmd
        + " -e \"SET SESSION print_identified_with_as_hex = ON; SHOW CREATE USER $u; SHOW GRANTS FOR $u\""
        + " | sed -e 's/^CREATE USER /CREATE USER IF NOT EXISTS /' -e 's/$/;/'; done";
    ProcessBuilder pb = new ProcessBuilder("bash", "-c", script).redirectError(ProcessBuilder.Redirect.PIPE);
    pb.environment().put("MYSQL_PWD", adminPassword());
    return pb.start();
  }

  /** How the programs reach the server: tandem_admin over TCP to 127.0.0.1, without TLS (the loopback). */
  private List<String> connection() {
    List<String> out = new ArrayList<>(List.of("--protocol=TCP", "-h", "127.0.0.1", "-P", Integer.toString(port), "-u",
        MariadbEngine.ADMIN));
    // MySQL: caching_sha2_password without TLS needs the server's RSA key, which nobody can swap on the loopback.
    out.addAll(mysql ? List.of("--ssl-mode=DISABLED", "--get-server-public-key") : List.of("--ssl=0"));
    return out;
  }

  private Process start(String program, List<String> args) throws IOException {
    List<String> cmd = new ArrayList<>();
    try {
      cmd.add(run.program(program).toString());
    } catch (DbException e) {
      throw new IOException(e.getMessage(), e);
    }
    cmd.addAll(connection());
    cmd.addAll(args);
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.PIPE);
    // MYSQL_PWD keeps the password off the command line (and out of ps).
    pb.environment().put("MYSQL_PWD", adminPassword());
    return pb.start();
  }
}
