package tandem.db.mariadb;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import tandem.db.DbException;
import tandem.db.Upstream;

/**
 * One refresh of a replica under {@code replication: dump}: a consistent dump of the primary's
 * databases installed on this node without readers ever seeing half of it.
 *
 * <p>Consistency: one {@code mariadb-dump --single-transaction --databases ...} reads every
 * database in a single InnoDB snapshot, so they are consistent with each other. The instant taken
 * just before the dump starts is recorded as its consistent point: every write the primary
 * committed before it is in the copy (some committed a moment later may be too), so the time
 * since that instant is an upper bound of what a failover to this copy loses.
 *
 * <p>Streaming: the dump is read over TLS, pinned to the primary's certificate, as tandem_admin
 * (the account a replica already uses to read its primary's state), and piped through this JVM
 * straight into the local {@code mariadb} client; nothing is staged on disk but the tables
 * themselves.
 *
 * <p>Atomic install: the stream's {@code CREATE DATABASE} and {@code USE} lines are rewritten so
 * each database loads into a staging schema ({@code _tandem_new_N}). Only when the dump completed
 * does one {@code RENAME TABLE} move every live table out (to {@code _tandem_old_N}) and every
 * staged one in. MariaDB runs a multi-table RENAME TABLE as one atomic operation under metadata
 * locks, so a reader sees the old copy or the new one, across all databases; a failed dump leaves
 * the live tables as they were.
 *
 * <p>After the tables: the application's accounts and grants ({@link MyAccounts}), so it can log
 * in here after a failover, then stored routines, views, triggers and events ({@link MyObjects}),
 * which the dump skips (views and triggers cannot move with a rename across schemas; routines and
 * events belong to the live schema, which stays).
 */
final class MyDumpCopy {
  static final String STAGING = "_tandem_new_";
  static final String OLD = "_tandem_old_";
  private static final Set<String> SYSTEM = Set.of("mysql", "information_schema", "performance_schema", "sys");
  private static final String TABLES = "('BASE TABLE', 'SYSTEM VERSIONED')";
  private static final Duration LONG = Duration.ofHours(6);
  /** How long the swap waits for readers' transactions to release the live tables. */
  static final Duration SWAP_WAIT = Duration.ofSeconds(30);

  private final MyRunner run;
  private final int localPort;
  private final List<String> only;

  /**
   * @param run finds mariadb-dump and mariadb (they run as this process's user: they only use TCP)
   * @param localPort this node's server
   * @param only the resource's {@code databases:}; empty: every database but the system schemas
   */
  MyDumpCopy(MyRunner run, int localPort, List<String> only) {
    this.run = run;
    this.localPort = localPort;
    this.only = List.copyOf(only);
  }

  /**
   * Copies the primary {@code u} (its certificate in {@code pinned}) into the local server, whose
   * tandem_admin password is {@code localPassword}; returns the copy's consistent point.
   */
  Instant take(Upstream u, Path pinned, String localPassword) throws DbException {
    Map<String, String> staging = new LinkedHashMap<>();
    List<String> skipped = new ArrayList<>();
    readPrimary(u, pinned, staging, skipped);
    try (Connection local = local(localPassword); Statement st = local.createStatement()) {
      st.setQueryTimeout(600);
      dropLeftovers(st);
      Instant point = Instant.now();
      if (!staging.isEmpty()) {
        load(u, pinned, localPassword, staging, skipped);
      }
      swap(st, staging);
      definitions(u, pinned, st, staging.keySet());
      return point;
    } catch (SQLException e) {
      throw new DbException("cannot install the dump of " + u.node() + " on 127.0.0.1:" + localPort + ": " + e.getMessage()
          + "; the live tables are unchanged and the next dump tries again", e);
    }
  }

  /** The primary's databases to copy (each with its staging name) and the non-table objects the dump skips. */
  private void readPrimary(Upstream u, Path pinned, Map<String, String> staging, List<String> skipped) throws DbException {
    try (Connection c = primary(u, pinned); Statement st = c.createStatement()) {
      for (String db : userDatabases(st)) {
        staging.put(db, STAGING + staging.size());
      }
      try (ResultSet rs = st.executeQuery("SELECT TABLE_SCHEMA, TABLE_NAME FROM information_schema.TABLES WHERE TABLE_TYPE"
          + " NOT IN " + TABLES)) {
        while (rs.next()) {
          if (staging.containsKey(rs.getString(1))) {
            skipped.add(rs.getString(1) + "." + rs.getString(2));
          }
        }
      }
    } catch (SQLException e) {
      throw new DbException("cannot read the databases of " + u.node() + " (" + u.host() + ":" + u.port() + ") for a dump: "
          + e.getMessage() + "; is it running as the group's primary?", e);
    }
  }

  /** A connection to the primary as tandem_admin over TLS, pinned to its certificate. */
  private static Connection primary(Upstream u, Path pinned) throws SQLException {
    Properties p = new Properties();
    p.setProperty("user", u.adminUser());
    p.setProperty("password", u.adminPassword());
    p.setProperty("sslMode", "verify-ca");
    p.setProperty("serverSslCert", pinned.toString());
    p.setProperty("connectTimeout", "5000");
    p.setProperty("socketTimeout", "60000");
    return DriverManager.getConnection("jdbc:mariadb://" + u.host() + ":" + u.port() + "/", p);
  }

  /** The databases a dump covers on the server {@code st} talks to: the configured ones that exist, else all but system and staging ones. */
  private List<String> userDatabases(Statement st) throws SQLException {
    List<String> out = new ArrayList<>();
    try (ResultSet rs = st.executeQuery("SELECT SCHEMA_NAME FROM information_schema.SCHEMATA ORDER BY 1")) {
      while (rs.next()) {
        String db = rs.getString(1);
        if (!SYSTEM.contains(db) && !db.startsWith(STAGING) && !db.startsWith(OLD) && (only.isEmpty() || only.contains(db))) {
          out.add(db);
        }
      }
    }
    return out;
  }

  private Connection local(String password) throws SQLException {
    Properties p = new Properties();
    p.setProperty("user", MariadbEngine.ADMIN);
    p.setProperty("password", password);
    p.setProperty("connectTimeout", "5000");
    p.setProperty("socketTimeout", "3600000");
    return DriverManager.getConnection("jdbc:mariadb://127.0.0.1:" + localPort + "/", p);
  }

  /** Staging and old schemas an interrupted refresh left behind. */
  private static void dropLeftovers(Statement st) throws SQLException {
    st.execute("SET SESSION foreign_key_checks = 0");
    List<String> left = new ArrayList<>();
    try (ResultSet rs = st.executeQuery("SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME LIKE '\\_tandem\\_new\\_%'"
        + " OR SCHEMA_NAME LIKE '\\_tandem\\_old\\_%'")) {
      while (rs.next()) {
        left.add(rs.getString(1));
      }
    }
    for (String db : left) {
      st.execute("DROP DATABASE IF EXISTS " + name(db));
    }
  }

  /** mariadb-dump on the primary piped into the local client, each database into its staging schema. */
  private void load(Upstream u, Path pinned, String localPassword, Map<String, String> staging, List<String> skipped)
      throws DbException {
    List<String> dumpArgs = new ArrayList<>(List.of(run.program(either("mariadb-dump", "mysqldump")).toString(),
        "--protocol=TCP", "-h", u.host(), "-P", Integer.toString(u.port()), "-u", u.adminUser(), "--ssl", "--ssl-ca=" + pinned,
        "--ssl-verify-server-cert", "--single-transaction", "--quick", "--hex-blob", "--no-tablespaces", "--skip-triggers",
        "--default-character-set=utf8mb4"));
    for (String object : skipped) {
      dumpArgs.add("--ignore-table=" + object);
    }
    dumpArgs.add("--databases");
    dumpArgs.addAll(staging.keySet());
    List<String> loadArgs = List.of(run.program(either("mariadb", "mysql")).toString(), "--protocol=TCP", "-h", "127.0.0.1",
        "-P", Integer.toString(localPort), "-u", MariadbEngine.ADMIN, "--ssl=0", "--batch", "--binary-mode",
        "--default-character-set=utf8mb4");
    Process dump = null;
    Process client = null;
    try {
      dump = start(dumpArgs, u.adminPassword());
      client = start(loadArgs, localPassword);
      ByteArrayOutputStream dumpErr = drain(dump.getErrorStream());
      ByteArrayOutputStream clientErr = drain(client.getErrorStream());
      drain(client.getInputStream());
      boolean complete;
      try (InputStream in = dump.getInputStream(); OutputStream out = client.getOutputStream()) {
        complete = new StagingFilter(staging).copy(in, out);
      } catch (IOException e) {
        complete = false;
        clientErr.writeBytes(("(pipe: " + e.getMessage() + ")").getBytes(StandardCharsets.UTF_8));
      }
      int dumpExit = exit(dump);
      int clientExit = exit(client);
      if (clientExit != 0) {
        throw new DbException("loading the dump of " + u.node() + " into 127.0.0.1:" + localPort + " failed (exit " + clientExit
            + "): " + tail(clientErr) + "; the live tables are unchanged and the next dump tries again");
      }
      if (dumpExit != 0 || !complete) {
        throw new DbException("mariadb-dump of " + u.node() + " (" + u.host() + ":" + u.port() + ") failed (exit " + dumpExit
            + "): " + tail(dumpErr) + "; the live tables are unchanged and the next dump tries again");
      }
    } catch (IOException e) {
      throw new DbException("cannot run mariadb-dump or mariadb for a copy of " + u.node() + ": " + e.getMessage(), e);
    } finally {
      for (Process p : new Process[] {dump, client}) {
        if (p != null && p.isAlive()) {
          p.destroyForcibly();
        }
      }
    }
  }

  /** Accounts, routines, views, triggers and events, after the tables (grants and views name tables the copy just installed). */
  private static void definitions(Upstream u, Path pinned, Statement local, java.util.Collection<String> databases)
      throws DbException {
    try (Connection c = primary(u, pinned); Statement st = c.createStatement()) {
      MyAccounts.copy(st, local);
      MyObjects.copy(st, local, databases);
    } catch (SQLException e) {
      throw new DbException("the tables of " + u.node() + "'s dump are installed, but not all of its accounts, routines,"
          + " views, triggers and events: " + e.getMessage() + "; the next dump tries again", e);
    }
  }

  /** Moves every live table out and every staged table in, in one atomic RENAME TABLE, then drops the old copies. */
  private void swap(Statement st, Map<String, String> staging) throws SQLException {
    // A reader's long transaction holds the tables: give up after a while (the next dump retries)
    // rather than wait for it forever while every new reader queues behind the rename.
    st.execute("SET SESSION lock_wait_timeout = " + SWAP_WAIT.toSeconds());
    List<String> out = new ArrayList<>();
    List<String> in = new ArrayList<>();
    List<String> live = userDatabases(st);
    int n = 0;
    for (String db : live) {
      if (!staging.containsKey(db)) {
        // Gone from the primary: the replica mirrors it.
        st.execute("DROP DATABASE " + name(db));
      }
    }
    for (Map.Entry<String, String> e : staging.entrySet()) {
      String old = OLD + n++;
      if (!live.contains(e.getKey())) {
        st.execute("CREATE DATABASE " + name(e.getKey()) + charset(st, e.getValue()));
      }
      st.execute("CREATE DATABASE " + name(old));
      for (String t : tables(st, e.getKey())) {
        out.add(name(e.getKey()) + "." + name(t) + " TO " + name(old) + "." + name(t));
      }
      for (String t : tables(st, e.getValue())) {
        in.add(name(e.getValue()) + "." + name(t) + " TO " + name(e.getKey()) + "." + name(t));
      }
    }
    List<String> pairs = new ArrayList<>(out);
    pairs.addAll(in);
    // A table with triggers cannot be renamed into another schema; they come back from the primary after the swap.
    MyObjects.dropTriggers(st, staging.keySet());
    if (!pairs.isEmpty()) {
      st.execute("RENAME TABLE " + String.join(", ", pairs));
    }
    dropLeftovers(st);
  }

  private static List<String> tables(Statement st, String db) throws SQLException {
    List<String> out = new ArrayList<>();
    try (ResultSet rs = st.executeQuery("SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = "
        + MariadbEngine.quote(db) + " AND TABLE_TYPE IN " + TABLES + " ORDER BY 1")) {
      while (rs.next()) {
        out.add(rs.getString(1));
      }
    }
    return out;
  }

  /** The staging schema's character set and collation, which the dump's CREATE DATABASE gave it. */
  private static String charset(Statement st, String staged) throws SQLException {
    try (ResultSet rs = st.executeQuery("SELECT DEFAULT_CHARACTER_SET_NAME, DEFAULT_COLLATION_NAME FROM"
        + " information_schema.SCHEMATA WHERE SCHEMA_NAME = " + MariadbEngine.quote(staged))) {
      return rs.next() ? " CHARACTER SET " + rs.getString(1) + " COLLATE " + rs.getString(2) : "";
    }
  }

  static String name(String identifier) {
    return "`" + identifier.replace("`", "``") + "`";
  }

  private String either(String mariadb, String mysql) {
    try {
      run.program(mariadb);
      return mariadb;
    } catch (DbException e) {
      return mysql;
    }
  }

  private static Process start(List<String> argv, String password) throws IOException {
    ProcessBuilder pb = new ProcessBuilder(argv);
    pb.environment().put("LC_MESSAGES", "C");
    // MYSQL_PWD keeps the password off the command line (and out of ps).
    pb.environment().put("MYSQL_PWD", password);
    pb.directory(Path.of("/").toFile());
    return pb.start();
  }

  private static ByteArrayOutputStream drain(InputStream in) {
    ByteArrayOutputStream to = new ByteArrayOutputStream();
    Thread.ofVirtual().start(() -> {
      try (in) {
        in.transferTo(to);
      } catch (IOException ignored) {
        // the process is gone; its exit code says why
      }
    });
    return to;
  }

  private static int exit(Process p) throws DbException {
    try {
      if (!p.waitFor(LONG.toMillis(), TimeUnit.MILLISECONDS)) {
        p.destroyForcibly();
        return -1;
      }
      return p.exitValue();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new DbException("interrupted while waiting for " + p.info().command().orElse("a dump"), e);
    }
  }

  private static String tail(ByteArrayOutputStream err) {
    List<String> lines = err.toString(StandardCharsets.UTF_8).lines().filter(l -> !l.isBlank()).toList();
    return lines.isEmpty() ? "no message" : String.join(" / ", lines.subList(Math.max(0, lines.size() - 3), lines.size()));
  }

  /**
   * Copies a {@code mariadb-dump --databases} stream line by line, pointing its {@code CREATE
   * DATABASE} and {@code USE} lines at the staging schemas. Other lines pass unchanged: the dump
   * escapes line breaks inside values, so a statement's text never starts a line.
   */
  static final class StagingFilter {
    private final Map<String, String> rewrite = new LinkedHashMap<>();
    private boolean complete;

    StagingFilter(Map<String, String> staging) {
      staging.forEach((db, stage) -> rewrite.put(name(db), name(stage)));
    }

    /** Copies {@code in} to {@code out}; true when the dump's closing "-- Dump completed" line came. */
    boolean copy(InputStream in, OutputStream out) throws IOException {
      Line line = new Line();
      byte[] buf = new byte[1 << 16];
      int n;
      while ((n = in.read(buf)) > 0) {
        int from = 0;
        for (int i = 0; i < n; i++) {
          if (buf[i] == '\n') {
            line.write(buf, from, i + 1 - from);
            emit(line, out);
            from = i + 1;
          }
        }
        line.write(buf, from, n - from);
      }
      emit(line, out);
      out.flush();
      return complete;
    }

    private void emit(Line line, OutputStream out) throws IOException {
      if (line.size() == 0) {
        return;
      }
      if (line.startsWith("CREATE DATABASE ") || line.startsWith("USE `")) {
        out.write(rewritten(line.toString(StandardCharsets.UTF_8)).getBytes(StandardCharsets.UTF_8));
      } else {
        if (line.startsWith("-- Dump completed")) {
          complete = true;
        }
        line.writeTo(out);
      }
      line.reset();
    }

    String rewritten(String text) throws IOException {
      for (Map.Entry<String, String> e : rewrite.entrySet()) {
        int at = text.indexOf(e.getKey());
        if (at >= 0) {
          return text.substring(0, at) + e.getValue() + text.substring(at + e.getKey().length());
        }
      }
      throw new IOException("the dump names a database it was not asked for: " + text.strip());
    }

    /** A line of the dump, up to and with its line break. */
    private static final class Line extends ByteArrayOutputStream {
      Line() {
        super(1 << 16);
      }

      boolean startsWith(String prefix) {
        if (count < prefix.length()) {
          return false;
        }
        for (int i = 0; i < prefix.length(); i++) {
          if (buf[i] != prefix.charAt(i)) {
            return false;
          }
        }
        return true;
      }
    }
  }
}
