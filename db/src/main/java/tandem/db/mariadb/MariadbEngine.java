package tandem.db.mariadb;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
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
import tandem.db.DatabaseEngine;
import tandem.db.DbException;
import tandem.db.DbStatus;
import tandem.db.Rejoin;
import tandem.db.Upstream;

/**
 * A MariaDB server on this node (10.6 or newer), driven with its own programs (mariadbd,
 * mariadb-install-db, mariadb-backup, mbstream) and SQL over JDBC as tandem_admin on 127.0.0.1.
 *
 * <p>Replication is by GTID in one domain (0), row-based binlogs, every node with its own
 * server_id. A replica is cloned from a mariadb-backup stream of the primary, read straight into
 * {@code mbstream -x} (nothing staged on disk), prepared, and replicates with
 * {@code MASTER_USE_GTID=slave_pos} over TLS against exactly the primary's certificate. Replicas
 * run read_only.
 *
 * <p>Rejoining after a change of primary: the node's own GTIDs (its binlogs and slave position)
 * are compared with the new primary's. When the new primary has them all, the node re-points to
 * it by GTID. Transactions only this node has (an old primary's last writes, or a replica that
 * received more than the one promoted) are errant: they are written out as SQL (a mariadb-binlog
 * extract) beside the data dir, the data dir is kept aside, and the node is cloned afresh.
 *
 * <p>With {@code replication: dump} ({@link MariadbSettings#dumpInterval()} above zero) no server
 * writes a binlog. A replica is cloned once with mariadb-backup as above (accounts, views and
 * routines included), then replaced every interval by a consistent dump of the primary
 * ({@link MyDumpCopy}); the consistent point of its last copy is its position, so the newest copy
 * is promoted. An old primary that returns cannot tell which of its writes the new primary lacks:
 * its whole data dir is kept aside and it is cloned afresh.
 */
public final class MariadbEngine implements DatabaseEngine {
  private static final String ACCOUNTS = "MariaDB accounts (tandem_repl, tandem_admin)";
  static final String ADMIN = "tandem_admin";
  static final String REPLICATION = "tandem_repl";
  private static final Duration QUICK = Duration.ofSeconds(30);
  private static final Duration LONG = Duration.ofHours(6);

  /** Opens the primary's backup stream (from its agent, or in tests from the primary's engine). */
  @FunctionalInterface
  public interface Copies {
    InputStream open(Upstream upstream) throws DbException;
  }

  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(MariadbEngine.class);
  private final MariadbSettings s;
  private final MyRunner run;
  private final MyConf conf;
  private final Copies copies;
  private final MyDumpCopy dumps;
  private final MyProcess proc;
  private static final Duration WARNINGS_EVERY = Duration.ofSeconds(30);
  private volatile List<String> warnings = List.of();
  private volatile long warningsAt;
  /** With dumps, while demoted but running: the session holding the fence's global read lock. */
  private volatile Connection fenceLock;

  public MariadbEngine(MariadbSettings settings, Copies copies) {
    this.s = settings;
    this.run = new MyRunner(settings.bin(), settings.osUser());
    this.conf = new MyConf(settings);
    this.copies = copies;
    this.proc = new MyProcess(settings, conf, run, describe());
    // The dump tools run as this process's user: they only talk to the servers over TCP.
    this.dumps = settings.dumps()
        ? new MyDumpCopy(new MyRunner(settings.bin(), System.getProperty("user.name")), settings.port(), settings.databases())
        : null;
  }

  /** The file the running server writes its PID into. */
  Path pidFile() {
    return conf.pidFile();
  }

  @Override
  public String describe() {
    return "mariadb " + s.data() + " :" + s.port();
  }

  @Override
  public boolean initialized() {
    return Files.isDirectory(s.data().resolve("mysql")) && !Files.exists(conf.installMarker());
  }

  @Override
  public boolean running() {
    return serverPid().isPresent();
  }

  /** The server's process id, when it lives: the one this engine started, else the pid file's. */
  public Optional<Long> serverPid() {
    return proc.pid();
  }

  @Override
  public LocalRole localRole() {
    if (!initialized()) {
      return LocalRole.EMPTY;
    }
    return Files.exists(conf.replicaMarker()) ? LocalRole.REPLICA : LocalRole.PRIMARY;
  }

  // ---- bootstrap ---------------------------------------------------------------------------

  /** Initialises an empty data dir (or adopts the database in it) and creates tandem's accounts; leaves the server running as primary. */
  @Override
  public void bootstrap() throws DbException {
    try {
      DbSecrets secrets = DbSecrets.read(s.secrets());
      if (secrets == null) {
        // A data dir tandem never ran: it may be the system's server, still running.
        tandem.db.ForeignServer.refuseIfRunning(s.data(), "MariaDB", "e.g. systemctl disable --now mariadb");
        secrets = DbSecrets.generate();
      }
      stop();
      conf.privateDir(s.data());
      conf.write(false, null);
      if (!initialized()) {
        install();
      }
      secrets.write(s.secrets(), ACCOUNTS);
      startServer(false, null);
      createAccounts(secrets);
    } catch (IOException e) {
      throw new DbException("cannot prepare " + s.data() + ": " + e.getMessage(), e);
    }
  }

  /**
   * mariadb-install-db into the data dir. Into an empty one (or one a failed or killed install left
   * half made, as the marker beside it says), after a marker: until the install has finished,
   * {@link #initialized()} is false and the next bootstrap empties the dir and installs again.
   * A data dir with other files in it is installed into as it is and never emptied.
   */
  private void install() throws IOException, DbException {
    Path marker = conf.installMarker();
    if (Files.exists(marker)) {
      LOG.warn("{}: the last mariadb-install-db did not finish; making the data dir again from scratch", describe());
      deleteTree(s.data());
      conf.privateDir(s.data());
    }
    if (isEmptyDir(s.data())) {
      Files.writeString(marker, "mariadb-install-db started into an empty " + s.data() + "\n");
    }
    must(run.run("mariadb-install-db", List.of("--defaults-file=" + conf.cnf(), "--auth-root-authentication-method=socket",
        "--skip-test-db"), null, LONG), "mariadb-install-db");
    Files.deleteIfExists(marker);
  }

  /** tandem's accounts, made or updated over the Unix socket as the server's OS user (unix_socket authentication). */
  private void createAccounts(DbSecrets secrets) throws DbException {
    run.secret(secrets.admin());
    run.secret(secrets.replication());
    String sql = account(REPLICATION, "%", secrets.replication(), " REQUIRE SSL")
        + "GRANT REPLICATION SLAVE, REPLICATION CLIENT ON *.* TO '" + REPLICATION + "'@'%';\n"
        + account(ADMIN, "%", secrets.admin(), " REQUIRE SSL")
        + "GRANT ALL PRIVILEGES ON *.* TO '" + ADMIN + "'@'%' WITH GRANT OPTION;\n"
        + account(ADMIN, "127.0.0.1", secrets.admin(), "")
        + "GRANT ALL PRIVILEGES ON *.* TO '" + ADMIN + "'@'127.0.0.1' WITH GRANT OPTION;\n";
    must(run.run("mariadb", List.of("--no-defaults", "--socket=" + conf.socket(), "--batch"), sql, QUICK), "mariadb (accounts)");
  }

  private static String account(String user, String host, String password, String require) {
    String who = "'" + user + "'@'" + host + "'";
    return "CREATE USER IF NOT EXISTS " + who + " IDENTIFIED BY '" + password + "'" + require + ";\n"
        + "ALTER USER " + who + " IDENTIFIED BY '" + password + "'" + require + ";\n";
  }

  // ---- start, stop, promote ----------------------------------------------------------------

  @Override
  public void startPrimary() throws DbException {
    if (running()) {
      if (localRole() == LocalRole.PRIMARY) {
        writable(); // it may have been demoted (fenced, still running) and become primary again
        return;
      }
      throw new DbException(describe() + " runs as a replica; promote it instead of starting it as a primary");
    }
    startServer(false, null);
  }

  @Override
  public void promote() throws DbException {
    if (localRole() == LocalRole.PRIMARY) {
      startPrimary();
      return;
    }
    if (!running()) {
      startServer(true, null);
    }
    try (Connection c = connect(); Statement st = c.createStatement()) {
      st.setQueryTimeout(120);
      Map<String, String> slave = slaveStatus(st);
      if (!slave.isEmpty()) {
        receiveAllOfADemotedPrimary(st, slave);
        // Apply everything received before accepting writes: the relay log is part of the history.
        st.execute("STOP SLAVE IO_THREAD");
        st.execute("START SLAVE SQL_THREAD");
        String received = slaveStatus(st).getOrDefault("Gtid_IO_Pos", "");
        ResultSet rs = st.executeQuery("SELECT MASTER_GTID_WAIT('" + received + "', 60)");
        rs.next();
        if (rs.getInt(1) != 0) {
          throw new DbException(describe() + " did not apply its relay log up to " + received + " within 60 s ("
              + slaveStatus(st).getOrDefault("Last_SQL_Error", "") + "); see " + conf.log());
        }
        st.execute("STOP SLAVE");
        st.execute("RESET SLAVE ALL");
      }
      conf.write(false, null);
      st.execute("SET GLOBAL rpl_semi_sync_master_enabled = " + (conf.semiSync() ? "ON" : "OFF"));
      st.execute("SET GLOBAL read_only = OFF");
      // Events the old primary ran are held disabled on a replica (by binlog replication or by the dumps): they run here now.
      List<String> enabled = MyObjects.enableEvents(st);
      if (!enabled.isEmpty()) {
        LOG.info("{}: enabled the events the old primary ran: {}", describe(), String.join(", ", enabled));
      }
      Files.deleteIfExists(conf.lastCopy());
    } catch (SQLException | IOException e) {
      throw new DbException("cannot promote " + describe() + ": " + e.getMessage() + "; see " + conf.log(), e);
    }
  }

  @Override
  public void startReplica(Upstream upstream) throws DbException {
    keepCredentials(upstream);
    stop();
    startServer(true, upstream.certificatePem());
    if (dumps == null) {
      replicateFrom(upstream, null);
    }
  }

  /**
   * Stops the server. A primary is fenced first: read_only on, every client's connection killed;
   * then it shuts down once its connected replicas have received all of its binlog.
   */
  @Override
  public void stop() throws DbException {
    releaseFence();
    Optional<Long> pid = serverPid();
    if (pid.isEmpty()) {
      return;
    }
    try (Connection c = connect(); Statement st = c.createStatement()) {
      st.setQueryTimeout(60);
      if (localRole() == LocalRole.PRIMARY) {
        fence(st);
        awaitBinlogSent(st, Duration.ofSeconds(10));
      }
      st.execute("SHUTDOWN WAIT FOR ALL SLAVES");
    } catch (SQLException e) {
      // Not answering (starting, hung, no accounts yet): a signal does the same.
      ProcessHandle.of(pid.get()).ifPresent(ProcessHandle::destroy);
    }
    awaitExit(pid.get(), Duration.ofSeconds(60));
  }

  /**
   * A demoted primary keeps running fenced (read_only, clients killed, and the global read lock
   * held by one of tandem's sessions until it is stopped or primary again): with dumps the next
   * primary takes a last copy with all of its writes; with binlog replication the next primary
   * receives the last of its binlog before it is promoted (a shutdown, even SHUTDOWN WAIT FOR ALL
   * SLAVES, once ended a replica's stream one acknowledged transaction short). It stops when this
   * node follows the new primary or the agent stops.
   */
  @Override
  public void demote() throws DbException {
    if (!running()) {
      return;
    }
    releaseFence();
    Connection c = null;
    try {
      c = connect();
      try (Statement st = c.createStatement()) {
        st.setQueryTimeout(60);
        fence(st);
      }
      fenceLock = c;
    } catch (SQLException e) {
      closeQuietly(c);
      stop(); // cannot fence it by SQL: stopping it fences it too
    }
  }

  /** The status's warnings, read at most every {@link #WARNINGS_EVERY} (status is read several times a second). */
  private List<String> warnings() {
    long now = System.nanoTime();
    if (warningsAt != 0 && now - warningsAt < WARNINGS_EVERY.toNanos()) {
      return warnings;
    }
    try (Connection c = connect(); Statement st = c.createStatement()) {
      st.setQueryTimeout(5);
      warnings = pastReadOnlyWarning(st);
      warningsAt = now;
    } catch (SQLException e) {
      // the last known ones stand; the next status tries again
    }
    return warnings;
  }

  /** A sentence naming the accounts that can write past read_only, if there are any. */
  static List<String> pastReadOnlyWarning(Statement st) throws SQLException {
    List<String> accounts = MyAccounts.pastReadOnly(st);
    if (accounts.isEmpty()) {
      return List.of();
    }
    return List.of(String.join(", ", accounts) + (accounts.size() == 1 ? " holds" : " hold") + " SUPER or READ_ONLY ADMIN,"
        + " so read_only does not stop " + (accounts.size() == 1 ? "its" : "their") + " writes: on a replica they make"
        + " errant transactions; an old primary is fenced against them only by tandem's global read lock while it runs;"
        + " grant the application only what it needs (e.g. ALL ON app_db.*)");
  }

  /** Ends a demoted primary's global read lock (its session); the server stays read_only. */
  private void releaseFence() {
    Connection c = fenceLock;
    fenceLock = null;
    closeQuietly(c);
  }

  static void closeQuietly(Connection c) {
    if (c == null) {
      return;
    }
    try {
      c.close();
    } catch (SQLException ignored) {
      // the session is gone either way, and its lock with it
    }
  }

  private void writable() throws DbException {
    releaseFence();
    try (Connection c = connect(); Statement st = c.createStatement()) {
      st.execute("SET GLOBAL read_only = OFF");
    } catch (SQLException e) {
      throw new DbException("cannot make " + describe() + " writable again: " + e.getMessage() + "; see " + conf.log(), e);
    }
  }

  /**
   * read_only on, every connection but tandem's own and the replicas' killed, then the global read
   * lock taken in this session: no client writes any more, not even one whose SUPER or READ_ONLY
   * ADMIN privilege lets it past read_only (its writes wait for the lock, so they are neither
   * committed here nor lost silently; they fail when the server stops). Reads, and a last copy by
   * the next primary, still work.
   */
  private static void fence(Statement st) throws SQLException {
    st.execute("SET GLOBAL read_only = ON");
    MyShared.killClients(st, "'Binlog Dump'");
    try {
      // A killed session may still be rolling back what it held: wait for it a while, not for ever.
      st.execute("SET SESSION lock_wait_timeout = 10");
      st.execute("FLUSH TABLES WITH READ LOCK");
    } catch (SQLException e) {
      LOG.warn("fenced by read_only and killed connections, but the global read lock was not granted ({}): an account with"
          + " SUPER or READ_ONLY ADMIN can still write here", e.getMessage());
    }
  }

  /**
   * After the fence, waits (at most {@code atMost}) until every connected replica's binlog dump
   * thread has sent all of the binlog. SHUTDOWN WAIT FOR ALL SLAVES alone once let a replica miss
   * the last transaction acknowledged before the fence (MariadbFailoverTest's switchover under
   * writes, 10.11: the replica read up to the transaction before it, then got the shutdown's end
   * packet), so a promoted replica lacked an acknowledged row.
   */
  private void awaitBinlogSent(Statement st, Duration atMost) throws SQLException {
    MyShared.awaitBinlogSent(st, "'Binlog Dump'", "Master has sent all binlog to slave; waiting for more updates", atMost,
        describe());
  }

  private void awaitExit(long pid, Duration grace) throws DbException {
    proc.awaitExit(pid, grace);
  }

  /** Starts mariadbd detached from this JVM (it outlives the agent, as a service would) and waits until it takes connections. */
  private void startServer(boolean replica, String upstreamCertPem) throws DbException {
    proc.start("mariadbd", replica, upstreamCertPem);
  }

  /** Points the running (replica) server at {@code u} by GTID over TLS and starts replicating; {@code from}: the slave position to set first. */
  private void replicateFrom(Upstream u, String from) throws DbException {
    run.secret(u.replicationPassword());
    try (Connection c = connect(); Statement st = c.createStatement()) {
      st.setQueryTimeout(60);
      st.execute("STOP SLAVE");
      if (from != null) {
        st.execute("SET GLOBAL gtid_slave_pos = '" + from + "'");
      }
      st.execute("CHANGE MASTER TO MASTER_HOST = " + quote(u.host()) + ", MASTER_PORT = " + u.port()
          + ", MASTER_USER = " + quote(u.replicationUser()) + ", MASTER_PASSWORD = " + quote(u.replicationPassword())
          + ", MASTER_USE_GTID = slave_pos, MASTER_SSL = 1, MASTER_SSL_CA = " + quote(conf.upstreamCert().toString())
          + ", MASTER_SSL_VERIFY_SERVER_CERT = 1, MASTER_CONNECT_RETRY = 1, MASTER_HEARTBEAT_PERIOD = 1");
      st.execute("SET GLOBAL read_only = ON");
      st.execute("START SLAVE");
    } catch (SQLException e) {
      throw new DbException("cannot make " + describe() + " replicate from " + u.node() + " (" + u.host() + ":" + u.port()
          + "): " + run.mask(String.valueOf(e.getMessage())), e);
    }
  }

  static String quote(String v) {
    return "'" + v.replace("\\", "\\\\").replace("'", "''") + "'";
  }

  // ---- clone, rejoin -----------------------------------------------------------------------

  /** Replaces the data dir with a copy streamed from {@code u} (the old one, if any, is moved to {@code keep}) and replicates from it. */
  void cloneFrom(Upstream u, Path keep) throws DbException {
    stop();
    try {
      if (Files.exists(s.data()) && keep != null && !isEmptyDir(s.data())) {
        Files.move(s.data(), keep);
      } else {
        deleteTree(s.data());
      }
      conf.privateDir(s.data());
      Files.deleteIfExists(conf.installMarker()); // a half-made install, if any, is gone: the copy fills the dir
    } catch (IOException e) {
      throw new DbException("cannot prepare " + s.data() + " for a copy from " + u.node() + ": " + e.getMessage(), e);
    }
    MyRunner.Result x;
    // Every commit before this instant is in the copy: with dumps, the copy's consistent point.
    java.time.Instant point = java.time.Instant.now();
    try (InputStream in = copies.open(u)) {
      x = run.run(run.argv("mbstream", List.of("-x", "-C", s.data().toString())), in, null, LONG);
    } catch (IOException e) {
      x = new MyRunner.Result(-1, "the stream from " + u.node() + " broke: " + e.getMessage());
    }
    if (!x.ok() || !Files.exists(s.data().resolve("xtrabackup_checkpoints"))) {
      wipeQuietly();
      throw new DbException("cannot copy the database from " + u.node() + " (" + u.host() + ":" + u.port() + "): " + x.tail());
    }
    MyRunner.Result p = run.run("mariadb-backup", List.of("--prepare", "--target-dir=" + s.data()), null, LONG);
    if (!p.ok()) {
      wipeQuietly();
      throw new DbException("cannot prepare the copy from " + u.node() + " in " + s.data() + ": " + p.tail());
    }
    startServer(true, u.certificatePem());
    if (dumps == null) {
      replicateFrom(u, backupPosition());
    } else {
      copied(point);
    }
  }

  /** The GTID position the copy was taken at, from mariadb-backup's binlog info; "" when the primary had no binlog yet. */
  private String backupPosition() throws DbException {
    for (String name : List.of("mariadb_backup_binlog_info", "xtrabackup_binlog_info")) {
      Path f = s.data().resolve(name);
      try {
        if (Files.exists(f)) {
          String[] w = Files.readString(f).trim().split("\\s+");
          return w.length >= 3 ? Gtid.join(Gtid.list(w[2])) : "";
        }
      } catch (IOException | IllegalArgumentException e) {
        throw new DbException("cannot read " + f + ": " + e.getMessage(), e);
      }
    }
    return "";
  }

  private void wipeQuietly() {
    try {
      deleteTree(s.data());
    } catch (IOException ignored) {
      // the next attempt moves it aside
    }
  }

  @Override
  public Rejoin rejoin(Upstream u, String tag) throws DbException {
    keepCredentials(u);
    stop();
    if (!initialized()) {
      cloneFrom(u, null);
      return new Rejoin(Rejoin.How.CLONED, Optional.empty(), Optional.empty(), "copied from " + u.node()
          + " with mariadb-backup");
    }
    if (dumps != null) {
      return rejoinByDumps(u, tag);
    }
    // Started alone (read_only, no replication) to read what it holds; a crashed primary recovers here.
    startServer(true, u.certificatePem());
    List<Gtid> mine = localGtids();
    List<Gtid> theirs = upstreamGtids(u);
    GtidHistory history = new GtidHistory(mine);
    List<Gtid> errant = history.missingOn(theirs);
    if (errant.isEmpty()) {
      String from = Gtid.join(Gtid.lastPerDomain(mine).values());
      replicateFrom(u, from);
      return new Rejoin(Rejoin.How.FOLLOWED, Optional.empty(), Optional.empty(), "replicates from " + u.node()
          + " by GTID from " + (from.isEmpty() ? "the start" : from));
    }
    Path sql = s.data().resolveSibling(s.data().getFileName() + ".errant-" + tag + ".sql");
    Gtid start = history.before(errant.getFirst());
    extract(errant, start, sql);
    Path keep = s.data().resolveSibling(s.data().getFileName() + ".pre-clone-" + tag);
    cloneFrom(u, keep);
    Gtid last = errant.getLast();
    Rejoin.LostRange lost = new Rejoin.LostRange(start == null ? 0 : start.seq(), last.seq(), last.domain());
    String list = errant.size() <= 10 ? Gtid.join(errant)
        : Gtid.join(errant.subList(0, 5)) + " ... " + Gtid.join(errant.subList(errant.size() - 3, errant.size()));
    return new Rejoin(Rejoin.How.CLONED, Optional.of(keep), Optional.of(lost), errant.size() + " errant transaction"
        + (errant.size() == 1 ? "" : "s") + " existed only here, never on " + u.node() + " (" + list + "); written out as SQL to "
        + sql + "; the old data is kept in " + keep + "; copied afresh from " + u.node() + " with mariadb-backup");
  }

  /**
   * Rejoining without binlogs: a replica's data is a copy of the group's history and just takes
   * its next copy from the new primary; an old primary's may hold writes the new primary never
   * got, which nothing can tell apart, so its whole data dir is kept aside before a fresh clone.
   */
  private Rejoin rejoinByDumps(Upstream u, String tag) throws DbException {
    if (localRole() == LocalRole.REPLICA) {
      startServer(true, u.certificatePem());
      return new Rejoin(Rejoin.How.FOLLOWED, Optional.empty(), Optional.empty(), "takes a dump of " + u.node() + " every "
          + tandem.core.Durations.format(s.dumpInterval()) + " (replication: dump)");
    }
    Path keep = s.data().resolveSibling(s.data().getFileName() + ".old-primary-" + tag);
    cloneFrom(u, keep);
    return new Rejoin(Rejoin.How.CLONED, Optional.of(keep), Optional.empty(), "this node was a primary and with"
        + " replication: dump the writes it took after " + u.node() + "'s last copy of it may not be on " + u.node()
        + " (see " + u.node() + "'s db-writes-lost event); its old data directory is kept in " + keep + " (start a scratch mariadbd on it with --datadir to read"
        + " them); copied afresh from " + u.node() + " with mariadb-backup");
  }

  @Override
  public Optional<Duration> copyInterval() {
    return dumps == null ? Optional.empty() : Optional.of(s.dumpInterval());
  }

  @Override
  public java.time.Instant copyFrom(Upstream u) throws DbException {
    if (dumps == null) {
      return DatabaseEngine.super.copyFrom(u);
    }
    if (!running() || localRole() != LocalRole.REPLICA) {
      throw new DbException(describe() + " does not run as a replica; it takes no copy of " + u.node());
    }
    try {
      DbSecrets local = DbSecrets.read(s.secrets());
      if (local == null) {
        throw new DbException("no passwords in " + s.secrets() + "; this node did not clone the database yet");
      }
      java.time.Instant point = dumps.take(u, conf.upstreamCert(), local.admin());
      copied(point);
      return point;
    } catch (IOException e) {
      throw new DbException("cannot read " + s.secrets() + ": " + e.getMessage(), e);
    }
  }

  @Override
  public Optional<java.time.Instant> lastCopy() {
    try {
      if (dumps == null || !Files.exists(conf.lastCopy())) {
        return Optional.empty();
      }
      return Optional.of(java.time.Instant.ofEpochMilli(Long.parseLong(Files.readString(conf.lastCopy()).trim())));
    } catch (IOException | NumberFormatException e) {
      return Optional.empty();
    }
  }

  private void copied(java.time.Instant point) throws DbException {
    try {
      conf.privateFile(conf.lastCopy(), point.toEpochMilli() + "\n");
    } catch (IOException e) {
      throw new DbException("cannot write " + conf.lastCopy() + ": " + e.getMessage(), e);
    }
  }

  /** Every GTID of this server's binlogs in order, then its slave position (a clone's starting point is only there). */
  private List<Gtid> localGtids() throws DbException {
    List<Gtid> out = new ArrayList<>();
    try (Connection c = connect(); Statement st = c.createStatement()) {
      st.setQueryTimeout(600);
      List<String> logs = new ArrayList<>();
      try (ResultSet rs = st.executeQuery("SHOW BINARY LOGS")) {
        while (rs.next()) {
          logs.add(rs.getString(1));
        }
      }
      for (String log : logs) {
        try (ResultSet rs = st.executeQuery("SHOW BINLOG EVENTS IN " + quote(log))) {
          while (rs.next()) {
            if ("Gtid".equals(rs.getString("Event_type"))) {
              java.util.regex.Matcher m = GTID_INFO.matcher(rs.getString("Info"));
              if (m.find()) {
                out.add(Gtid.parse(m.group(1)));
              }
            }
          }
        }
      }
      try (ResultSet rs = st.executeQuery("SELECT @@gtid_slave_pos")) {
        rs.next();
        out.addAll(Gtid.list(rs.getString(1)));
      }
    } catch (SQLException e) {
      throw new DbException("cannot read the GTIDs of " + describe() + ": " + e.getMessage(), e);
    }
    return out;
  }

  private static final java.util.regex.Pattern GTID_INFO = java.util.regex.Pattern.compile("GTID (\\d+-\\d+-\\d+)");

  /** How long a promotion waits to receive the rest of a demoted primary's binlog. */
  static final Duration LAST_OF_THE_BINLOG = Duration.ofSeconds(10);

  /**
   * Before a promotion: while the old primary answers (a switchover: it runs on, fenced), waits until
   * this replica has applied everything the old primary's binlog holds.
   * An old primary that is down or cut off cannot be asked (then what the replica received is what
   * there is, and the old primary's extra transactions are reported as errant when it returns).
   */
  private void receiveAllOfADemotedPrimary(Statement st, Map<String, String> slave) throws SQLException, DbException {
    if ("No".equals(slave.get("Slave_IO_Running"))) {
      return; // stopped on purpose: there is nothing to receive
    }
    String host = slave.getOrDefault("Master_Host", "");
    String port = slave.getOrDefault("Master_Port", "");
    String last;
    try {
      DbSecrets secrets = DbSecrets.read(s.secrets());
      try (Connection c = upstreamConnection(host, port, ADMIN, secrets == null ? "" : secrets.admin(), 1000, 5000);
          Statement up = c.createStatement();
          ResultSet rs = up.executeQuery("SELECT @@gtid_binlog_pos, @@read_only")) {
        rs.next();
        last = rs.getString(1);
        if (!rs.getBoolean(2)) {
          LOG.warn("{}: the primary it follows ({}:{}) is not read-only; promoting with what it received", describe(), host, port);
          return;
        }
      }
    } catch (IOException | SQLException e) {
      LOG.info("{}: the primary it follows ({}:{}) does not answer ({}); promoting with what it received", describe(), host, port,
          e.getMessage());
      return;
    }
    if (last == null || last.isBlank()) {
      return;
    }
    try (ResultSet rs = st.executeQuery("SELECT MASTER_GTID_WAIT('" + last + "', " + LAST_OF_THE_BINLOG.toSeconds() + ")")) {
      rs.next();
      if (rs.getInt(1) != 0) {
        LOG.warn("{}: did not receive the demoted primary's binlog up to {} within {}; promoting with what it received"
            + " (the rest is reported as errant when the old primary returns)", describe(), last, LAST_OF_THE_BINLOG);
      } else {
        LOG.info("{}: applied the demoted primary's binlog up to {} before the promotion", describe(), last);
      }
    }
  }

  /** An account's connection to the upstream's server over TLS, its certificate pinned to the one kept here. */
  private Connection upstreamConnection(String host, String port, String user, String password, int connectMillis,
      int socketMillis) throws SQLException {
    return MyShared.pinned(conf.upstreamCert(), host, port, user, password, connectMillis, socketMillis);
  }

  /** The upstream's binlog state (each server's last sequence number per domain) and slave position. */
  private List<Gtid> upstreamGtids(Upstream u) throws DbException {
    try (Connection c = upstreamConnection(u.host(), Integer.toString(u.port()), u.adminUser(), u.adminPassword(), 5000, 30000);
        Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT @@gtid_binlog_state, @@gtid_slave_pos")) {
      rs.next();
      List<Gtid> out = new ArrayList<>(Gtid.list(rs.getString(1)));
      out.addAll(Gtid.list(rs.getString(2)));
      return out;
    } catch (SQLException e) {
      throw new DbException("cannot read the GTIDs of " + u.node() + " (" + u.host() + ":" + u.port() + "): " + e.getMessage(), e);
    }
  }

  /** Writes the errant transactions out as SQL: mariadb-binlog's extract of them, rows decoded in comments. */
  private void extract(List<Gtid> errant, Gtid start, Path sql) throws DbException {
    List<String> args = new ArrayList<>(List.of("--verbose", "--do-domain-ids=" + errant.getFirst().domain()));
    if (start != null) {
      args.add("--start-position=" + start);
    }
    try {
      args.addAll(MyShared.binlogFiles(s.data()));
      Path tmp = sql.resolveSibling(sql.getFileName() + ".tmp");
      MyRunner.Result r;
      try (OutputStream out = Files.newOutputStream(tmp)) {
        out.write(("-- tandem: " + errant.size() + " errant transaction(s) of " + describe() + " that the new primary never"
            + " had: " + Gtid.join(errant) + "\n-- Replay what you need with: mariadb < " + sql + "\n")
            .getBytes(java.nio.charset.StandardCharsets.UTF_8));
        List<String> argv = new ArrayList<>(List.of(run.program("mariadb-binlog").toString()));
        argv.addAll(args);
        r = run.run(argv, null, out, LONG);
      }
      if (!r.ok()) {
        throw new DbException("cannot write the errant transactions " + Gtid.join(errant) + " of " + describe() + " to " + sql
            + ": " + r.tail() + "; the data dir is left as it was");
      }
      Files.move(tmp, sql, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      throw new DbException("cannot write " + sql + ": " + e.getMessage(), e);
    }
  }

  /** Streams a physical copy of this running server (mariadb-backup, xbstream) to {@code out}. */
  @Override
  public void streamClone(OutputStream out) throws DbException {
    if (!running()) {
      throw new DbException(describe() + " does not run; a copy needs a running server");
    }
    Path tmp = conf.dir().resolve("backup-" + System.nanoTime());
    try {
      conf.privateDir(tmp);
      List<String> argv = run.argv("mariadb-backup", List.of("--defaults-file=" + conf.cnf(), "--backup", "--stream=xbstream",
          "--socket=" + conf.socket(), "--user=" + run.user(), "--target-dir=" + tmp));
      MyRunner.Result r = run.run(argv, null, out, LONG);
      if (!r.ok()) {
        throw new DbException("mariadb-backup of " + describe() + " failed: " + r.tail());
      }
    } catch (IOException e) {
      throw new DbException("cannot make " + tmp + ": " + e.getMessage(), e);
    } finally {
      try {
        deleteTree(tmp);
      } catch (IOException ignored) {
        // a leftover empty dir in the support dir
      }
    }
  }

  // ---- facts, status -----------------------------------------------------------------------

  @Override
  public Upstream asUpstream(String node, String host, long epoch) throws DbException {
    return MyShared.upstream(s, node, host, epoch);
  }

  @Override
  public void keepCredentials(Upstream u) throws DbException {
    MyShared.keepCredentials(s, u, ACCOUNTS);
  }

  /** Nothing to do: a MariaDB primary keeps its binlogs for replicas without slots. */
  @Override
  public void ensureSlots(List<String> replicas) {
  }

  /** Semi-synchronous commits on (any {@code count} above 0: MariaDB waits for one replica) or off, at once. */
  @Override
  public void setSynchronous(List<String> standbys, int count) throws DbException {
    boolean on = count > 0 && !standbys.isEmpty();
    conf.semiSync(on);
    if (localRole() != LocalRole.PRIMARY || !running()) {
      return;
    }
    try (Connection c = connect(); Statement st = c.createStatement()) {
      st.execute("SET GLOBAL rpl_semi_sync_master_enabled = " + (on ? "ON" : "OFF"));
      conf.write(false, null);
    } catch (SQLException | IOException e) {
      throw new DbException("cannot turn semi-synchronous commits " + (on ? "on" : "off") + " on " + describe() + ": "
          + e.getMessage(), e);
    }
  }

  @Override
  public DbStatus status() {
    if (!running()) {
      return new DbStatus("", 0, "mariadb", localRole() == LocalRole.EMPTY ? "none" : "stopped", "stopped", -1, -1, 0, -1, List.of(),
          dumps != null, lastCopy().map(java.time.Instant::toEpochMilli).orElse(-1L));
    }
    if (dumps != null) {
      return dumpStatus().withWarnings(warnings());
    }
    try (Connection c = connect(); Statement st = c.createStatement()) {
      st.setQueryTimeout(5);
      DbStatus status = localRole() == LocalRole.REPLICA ? MyStatus.replica(st) : MyStatus.primary(st);
      return status.withWarnings(warnings());
    } catch (SQLException e) {
      return new DbStatus("", 0, "mariadb", localRole() == LocalRole.REPLICA ? "replica" : "primary", "starting", -1, -1, 0, -1,
          List.of());
    }
  }

  /**
   * With dumps, positions are times (epoch millis): a primary is at "now" (rounded up to {@link
   * #POSITION_STEP_MILLIS}), a replica at its last
   * copy's consistent point, so the newest copy is the most advanced and the difference is the
   * data-loss window.
   */
  private DbStatus dumpStatus() {
    long now = System.currentTimeMillis();
    if (localRole() != LocalRole.REPLICA) {
      // Rounded up to the next 10 s: still at or after every copy, but reported through Raft once per 10 s, not twice a second.
      long at = now - now % POSITION_STEP_MILLIS + POSITION_STEP_MILLIS;
      return new DbStatus("", 0, "mariadb", "primary", "running", at, at, 0, 0, List.of(), true, -1);
    }
    long at = lastCopy().map(java.time.Instant::toEpochMilli).orElse(0L);
    double age = at == 0 ? -1 : Math.max(0, now - at) / 1000.0;
    return new DbStatus("", 0, "mariadb", "replica", "dump", at == 0 ? -1 : at, at == 0 ? -1 : at, 0, age, List.of(), true, at);
  }

  /** The step a dump primary's position (a time) moves by. */
  static final long POSITION_STEP_MILLIS = 10_000;

  static Map<String, String> slaveStatus(Statement st) throws SQLException {
    return MyShared.row(st, "SHOW SLAVE STATUS");
  }

  /** A connection as tandem_admin to this node's server over 127.0.0.1 (for tandem's own work and tests). */
  public Connection connect() throws SQLException {
    return connect(java.util.Optional.empty(), java.time.Duration.ofSeconds(5));
  }

  /** A connection as tandem_admin to {@code database} (empty: none chosen) on this node's server, for sql checks. */
  @Override
  public Connection connect(java.util.Optional<String> database, java.time.Duration timeout) throws SQLException {
    return MyShared.admin(s, database, timeout);
  }

  @Override
  public List<String> fenceCommands() {
    return proc.fenceCommands();
  }

  // ---- helpers -----------------------------------------------------------------------------

  private MyRunner.Result must(MyRunner.Result r, String what) throws DbException {
    if (!r.ok() || r.output().contains("ERROR ")) {
      throw new DbException(what + " failed for " + describe() + ": " + r.tail());
    }
    return r;
  }

  static boolean isEmptyDir(Path dir) throws IOException {
    try (var list = Files.list(dir)) {
      return list.findAny().isEmpty();
    }
  }

  static void deleteTree(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    try (var walk = Files.walk(dir)) {
      for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }
}
