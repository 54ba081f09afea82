package tandem.db.mariadb;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import tandem.db.DatabaseEngine;
import tandem.db.DbException;
import tandem.db.DbSecrets;
import tandem.db.DbStatus;
import tandem.db.Rejoin;
import tandem.db.Upstream;

/**
 * A MySQL server on this node (8.4 or newer: the SOURCE/REPLICA statements and the clone plugin),
 * driven with its own programs (mysqld, mysql, mysqlbinlog) and SQL over JDBC as tandem_admin on
 * 127.0.0.1. The same contract as {@link MariadbEngine}, in MySQL's terms:
 *
 * <ul>
 *   <li>GTIDs on ({@code gtid_mode=ON}), row-based binlogs, every node its own server_id; a
 *       position is the number of transactions in {@code gtid_executed} (every node of a group
 *       holds a subset of one history).
 *   <li>A replica is cloned with the clone plugin: an empty server made with {@code mysqld
 *       --initialize-insecure} runs {@code CLONE INSTANCE FROM} the primary over TLS against
 *       exactly the primary's certificate (nothing staged on disk, no agent in the data path), then
 *       replicates with {@code SOURCE_AUTO_POSITION=1} over TLS. Replicas run super_read_only.
 *   <li>Rejoining: {@code GTID_SUBTRACT} of this node's set and the new primary's. Nothing left:
 *       the node re-points by auto-position. Transactions only this node has are errant: written
 *       out as SQL (a mysqlbinlog extract) beside the data dir, the data dir kept aside, the node
 *       cloned afresh.
 *   <li>The fence is super_read_only (it stops accounts with SUPER or CONNECTION_ADMIN too) and
 *       every client's connection killed.
 * </ul>
 *
 * <p>root@localhost is locked once tandem's accounts exist; tandem_admin (its password in the
 * secrets file) holds every privilege.
 */
public final class MysqlEngine implements DatabaseEngine {
  private static final String ACCOUNTS = "MySQL accounts (tandem_repl, tandem_admin)";
  private static final Duration QUICK = Duration.ofSeconds(30);
  private static final Duration LONG = Duration.ofHours(6);
  /** A replica retries its source every second for a year (MySQL's default gives up after 10 tries). */
  private static final long RETRIES = 365L * 24 * 3600;

  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(MysqlEngine.class);
  private final MariadbSettings s;
  private final MyRunner run;
  private final MyConf conf;
  private final MyProcess proc;
  /** Set once this node's mysqld was found to be MySQL's (Debian's MariaDB installs a mysqld too). */
  private volatile boolean serverChecked;

  public MysqlEngine(MariadbSettings settings) {
    if (settings.dumps()) {
      throw new IllegalArgumentException("replication: dump is for MariaDB only; MySQL replicates by GTID");
    }
    this.s = settings;
    this.run = new MyRunner(settings.bin(), settings.osUser(), "MySQL (8.4 or newer: mysqld, mysql, mysqlbinlog)",
        "mysql.bin");
    this.conf = new MyConf(settings, true);
    this.proc = new MyProcess(settings, conf, run, describe());
  }

  @Override
  public String describe() {
    return "mysql " + s.data() + " :" + s.port();
  }

  /** Before a server is made or started: its programs are there, and mysqld is MySQL's, not MariaDB's link to mariadbd. */
  private void checkServer() throws DbException {
    if (!serverChecked) {
      MyPrograms.require(Optional.of(s.bin()), true);
      serverChecked = true;
    }
  }

  @Override
  public boolean initialized() {
    return Files.isDirectory(s.data().resolve("mysql")) && !Files.exists(conf.installMarker());
  }

  @Override
  public boolean running() {
    return proc.pid().isPresent();
  }

  /** The server's process id, when it lives. */
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
    checkServer();
    try {
      DbSecrets secrets = DbSecrets.read(s.secrets());
      if (secrets == null) {
        tandem.db.ForeignServer.refuseIfRunning(s.data(), "MySQL", "e.g. systemctl disable --now mysql");
        secrets = DbSecrets.generate();
      }
      stop();
      conf.privateDir(s.data());
      if (!initialized()) {
        install(false); // writes the configuration first; the start below writes it anyway
      }
      secrets.write(s.secrets(), ACCOUNTS);
      proc.start("mysqld", false, null);
      createAccounts(secrets);
    } catch (IOException e) {
      throw new DbException("cannot prepare " + s.data() + ": " + e.getMessage(), e);
    }
  }

  /**
   * mysqld --initialize-insecure into the data dir, after a marker: until the install (or a clone
   * into it) has finished, {@link #initialized()} is false and the next attempt empties the dir
   * and starts again. A data dir with other files in it is never emptied (mysqld refuses it).
   *
   * @param forClone leave the marker: a clone into the new server finishes the data dir
   */
  private void install(boolean forClone) throws IOException, DbException {
    Path marker = conf.installMarker();
    conf.write(false, null);
    if (Files.exists(marker)) {
      LOG.warn("{}: the last mysqld --initialize or clone did not finish; making the data dir again from scratch", describe());
      MariadbEngine.deleteTree(s.data());
      conf.privateDir(s.data());
    }
    if (MariadbEngine.isEmptyDir(s.data())) {
      Files.writeString(marker, "mysqld --initialize started into an empty " + s.data() + "\n");
    }
    MyRunner.Result r = run.run("mysqld", List.of("--defaults-file=" + conf.cnf(), "--initialize-insecure"), null, LONG);
    if (!r.ok()) {
      throw new DbException("mysqld --initialize-insecure failed for " + describe() + ": " + proc.logTail() + "; see " + conf.log());
    }
    if (!forClone) {
      Files.deleteIfExists(marker);
    }
  }

  /**
   * tandem's accounts, made or updated: as tandem_admin when it exists already, else as root over
   * the Unix socket (a new server's root has no password), which is then locked.
   */
  private void createAccounts(DbSecrets secrets) throws DbException {
    run.secret(secrets.admin());
    run.secret(secrets.replication());
    List<String> sql = new ArrayList<>();
    sql.addAll(account(MariadbEngine.REPLICATION, "%", secrets.replication(), " REQUIRE SSL"));
    sql.add("GRANT REPLICATION SLAVE, REPLICATION CLIENT ON *.* TO '" + MariadbEngine.REPLICATION + "'@'%'");
    sql.addAll(account(MariadbEngine.ADMIN, "%", secrets.admin(), " REQUIRE SSL"));
    sql.add("GRANT ALL PRIVILEGES ON *.* TO '" + MariadbEngine.ADMIN + "'@'%' WITH GRANT OPTION");
    sql.addAll(account(MariadbEngine.ADMIN, "127.0.0.1", secrets.admin(), ""));
    sql.add("GRANT ALL PRIVILEGES ON *.* TO '" + MariadbEngine.ADMIN + "'@'127.0.0.1' WITH GRANT OPTION");
    try (Connection c = connect(); Statement st = c.createStatement()) {
      for (String q : sql) {
        st.execute(q);
      }
      return;
    } catch (SQLException notYet) {
      // a new server: only root, over the socket
    }
    StringBuilder text = new StringBuilder();
    for (String q : sql) {
      text.append(q).append(";\n");
    }
    text.append("ALTER USER 'root'@'localhost' ACCOUNT LOCK;\n");
    MyRunner.Result r = run.run("mysql", List.of("--no-defaults", "--socket=" + conf.socket(), "--user=root", "--batch"),
        text.toString(), QUICK);
    if (!r.ok() || r.output().contains("ERROR ")) {
      // An adopted data dir's root usually has a password: tandem_admin, made by hand, lets tandem do the rest itself.
      throw new DbException("cannot create tandem's accounts on " + describe() + " (neither as tandem_admin nor as root over"
          + " the socket without a password): " + r.tail() + "; if root has a password here, create tandem's admin account"
          + " yourself as root: CREATE USER 'tandem_admin'@'127.0.0.1' IDENTIFIED BY '<the admin= line of " + s.secrets()
          + ">'; GRANT ALL PRIVILEGES ON *.* TO 'tandem_admin'@'127.0.0.1' WITH GRANT OPTION; then start tandem again");
    }
  }

  /** CREATE USER IF NOT EXISTS then ALTER USER, so the password and TLS rule are tandem's either way. */
  private static List<String> account(String user, String host, String password, String require) {
    String who = "'" + user + "'@'" + host + "'";
    return List.of("CREATE USER IF NOT EXISTS " + who + " IDENTIFIED BY " + MariadbEngine.quote(password) + require,
        "ALTER USER " + who + " IDENTIFIED BY " + MariadbEngine.quote(password) + require);
  }

  // ---- start, stop, promote ----------------------------------------------------------------

  @Override
  public void startPrimary() throws DbException {
    checkServer();
    if (running()) {
      if (localRole() == LocalRole.PRIMARY) {
        writable(); // it may have been demoted (fenced, still running) and become primary again
        return;
      }
      throw new DbException(describe() + " runs as a replica; promote it instead of starting it as a primary");
    }
    proc.start("mysqld", false, null);
  }

  @Override
  public void promote() throws DbException {
    checkServer();
    if (localRole() == LocalRole.PRIMARY) {
      startPrimary();
      return;
    }
    if (!running()) {
      proc.start("mysqld", true, null);
    }
    try (Connection c = connect(); Statement st = c.createStatement()) {
      st.setQueryTimeout(120);
      Map<String, String> replica = replicaStatus(st);
      if (!replica.isEmpty()) {
        receiveAllOfADemotedPrimary(st, replica);
        // Apply everything received before accepting writes: the relay log is part of the history.
        st.execute("STOP REPLICA IO_THREAD");
        st.execute("START REPLICA SQL_THREAD");
        String received = GtidSet.oneLine(replicaStatus(st).get("Retrieved_Gtid_Set"));
        if (!received.isEmpty() && waitFor(st, received, 60) != 0) {
          throw new DbException(describe() + " did not apply its relay log up to " + received + " within 60 s ("
              + replicaStatus(st).getOrDefault("Last_SQL_Error", "") + "); see " + conf.log());
        }
        st.execute("STOP REPLICA");
        st.execute("RESET REPLICA ALL");
      }
      conf.write(false, null);
      st.execute("SET GLOBAL rpl_semi_sync_source_enabled = " + (conf.semiSync() ? "ON" : "OFF"));
      st.execute("SET GLOBAL super_read_only = OFF");
      st.execute("SET GLOBAL read_only = OFF");
      List<String> enabled = MyObjects.enableEvents(st);
      if (!enabled.isEmpty()) {
        LOG.info("{}: enabled the events the old primary ran: {}", describe(), String.join(", ", enabled));
      }
    } catch (SQLException | IOException e) {
      throw new DbException("cannot promote " + describe() + ": " + e.getMessage() + "; see " + conf.log(), e);
    }
  }

  /** WAIT_FOR_EXECUTED_GTID_SET: 0 once every transaction of {@code set} is applied here, 1 after {@code seconds}. */
  private static int waitFor(Statement st, String set, long seconds) throws SQLException {
    try (ResultSet rs = st.executeQuery("SELECT WAIT_FOR_EXECUTED_GTID_SET(" + MariadbEngine.quote(set) + ", " + seconds + ")")) {
      rs.next();
      return rs.getInt(1);
    }
  }

  /**
   * Before a promotion: while the old primary answers (a switchover: it runs on, fenced), waits
   * until this replica has applied everything the old primary holds. One that is down or cut off
   * cannot be asked; its extra transactions are reported as errant when it returns.
   */
  private void receiveAllOfADemotedPrimary(Statement st, Map<String, String> replica) throws SQLException, DbException {
    if ("No".equals(replica.get("Replica_IO_Running"))) {
      return; // stopped on purpose: there is nothing to receive
    }
    String host = replica.getOrDefault("Source_Host", "");
    String port = replica.getOrDefault("Source_Port", "");
    String last;
    try {
      DbSecrets secrets = DbSecrets.read(s.secrets());
      try (Connection c = upstreamConnection(host, port, MariadbEngine.ADMIN, secrets == null ? "" : secrets.admin(), 1000, 5000);
          Statement up = c.createStatement();
          ResultSet rs = up.executeQuery("SELECT @@gtid_executed, @@super_read_only")) {
        rs.next();
        last = GtidSet.oneLine(rs.getString(1));
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
    if (last.isEmpty()) {
      return;
    }
    if (waitFor(st, last, MariadbEngine.LAST_OF_THE_BINLOG.toSeconds()) != 0) {
      LOG.warn("{}: did not receive the demoted primary's transactions up to {} within {}; promoting with what it received"
          + " (the rest is reported as errant when the old primary returns)", describe(), last, MariadbEngine.LAST_OF_THE_BINLOG);
    } else {
      LOG.info("{}: applied the demoted primary's transactions up to {} before the promotion", describe(), last);
    }
  }

  @Override
  public void startReplica(Upstream upstream) throws DbException {
    checkServer();
    keepCredentials(upstream);
    stop();
    proc.start("mysqld", true, upstream.certificatePem());
    replicateFrom(upstream);
  }

  /** Stops the server; a primary is fenced first and shuts down once its connected replicas have received all of its binlog. */
  @Override
  public void stop() throws DbException {
    Optional<Long> pid = proc.pid();
    if (pid.isEmpty()) {
      return;
    }
    try (Connection c = connect(); Statement st = c.createStatement()) {
      st.setQueryTimeout(60);
      if (localRole() == LocalRole.PRIMARY) {
        fence(st);
        awaitBinlogSent(st, Duration.ofSeconds(10));
      }
      st.execute("SHUTDOWN");
    } catch (SQLException e) {
      // Not answering (starting, hung, no accounts yet): a signal does the same.
      ProcessHandle.of(pid.get()).ifPresent(ProcessHandle::destroy);
    }
    proc.awaitExit(pid.get(), Duration.ofSeconds(60));
  }

  /**
   * A demoted primary keeps running fenced (super_read_only, clients killed), so the next primary
   * receives the last of its binlog before it is promoted. It stops when this node follows the
   * new primary or the agent stops.
   */
  @Override
  public void demote() throws DbException {
    if (!running()) {
      return;
    }
    try (Connection c = connect(); Statement st = c.createStatement()) {
      st.setQueryTimeout(60);
      fence(st);
    } catch (SQLException e) {
      stop(); // cannot fence it by SQL: stopping it fences it too
    }
  }

  private void writable() throws DbException {
    try (Connection c = connect(); Statement st = c.createStatement()) {
      st.execute("SET GLOBAL super_read_only = OFF");
      st.execute("SET GLOBAL read_only = OFF");
    } catch (SQLException e) {
      throw new DbException("cannot make " + describe() + " writable again: " + e.getMessage() + "; see " + conf.log(), e);
    }
  }

  /**
   * super_read_only on (no account writes any more, whatever its privileges; replication still
   * applies), then every connection but tandem's own, the replicas' and the server's own killed.
   */
  private static void fence(Statement st) throws SQLException {
    st.execute("SET GLOBAL super_read_only = ON");
    MyShared.killClients(st, "'Binlog Dump', 'Binlog Dump GTID'");
  }

  /** After the fence, waits (at most {@code atMost}) until every connected replica has been sent all of the binlog. */
  private void awaitBinlogSent(Statement st, Duration atMost) throws SQLException {
    MyShared.awaitBinlogSent(st, "'Binlog Dump', 'Binlog Dump GTID'",
        "Source has sent all binlog to replica; waiting for more updates", atMost, describe());
  }

  /** Points the running (replica) server at {@code u} by GTID auto-position over TLS and starts replicating. */
  private void replicateFrom(Upstream u) throws DbException {
    run.secret(u.replicationPassword());
    try (Connection c = connect(); Statement st = c.createStatement()) {
      st.setQueryTimeout(60);
      st.execute("STOP REPLICA");
      st.execute("CHANGE REPLICATION SOURCE TO SOURCE_HOST = " + MariadbEngine.quote(u.host()) + ", SOURCE_PORT = " + u.port()
          + ", SOURCE_USER = " + MariadbEngine.quote(u.replicationUser()) + ", SOURCE_PASSWORD = "
          + MariadbEngine.quote(u.replicationPassword()) + ", SOURCE_AUTO_POSITION = 1, SOURCE_SSL = 1, SOURCE_SSL_CA = "
          + MariadbEngine.quote(conf.upstreamCert().toString()) + ", SOURCE_SSL_VERIFY_SERVER_CERT = 1,"
          + " SOURCE_CONNECT_RETRY = 1, SOURCE_RETRY_COUNT = " + RETRIES + ", SOURCE_HEARTBEAT_PERIOD = 1");
      st.execute("SET GLOBAL super_read_only = ON");
      st.execute("START REPLICA");
    } catch (SQLException e) {
      throw new DbException("cannot make " + describe() + " replicate from " + u.node() + " (" + u.host() + ":" + u.port()
          + "): " + run.mask(String.valueOf(e.getMessage())), e);
    }
  }

  // ---- clone, rejoin -----------------------------------------------------------------------

  /**
   * Replaces the data dir with a clone of {@code u} (the old one, if any, is moved to {@code
   * keep}) and replicates from it: a new empty server here runs CLONE INSTANCE FROM the primary,
   * which replaces its data and shuts it down; started again, it is the copy.
   */
  void cloneFrom(Upstream u, Path keep) throws DbException {
    stop();
    try {
      if (Files.exists(s.data()) && keep != null && !MariadbEngine.isEmptyDir(s.data())) {
        Files.move(s.data(), keep);
      } else {
        MariadbEngine.deleteTree(s.data());
      }
      Files.deleteIfExists(conf.installMarker());
      conf.privateDir(s.data());
      install(true); // leaves the marker: until the clone is in place the data dir counts as empty
      proc.start("mysqld", false, u.certificatePem());
    } catch (IOException e) {
      throw new DbException("cannot prepare " + s.data() + " for a copy from " + u.node() + ": " + e.getMessage(), e);
    }
    long pid = proc.pid().orElseThrow(() -> new DbException(describe() + " stopped before the clone"));
    run.secret(u.adminPassword());
    String sql = "SET GLOBAL clone_valid_donor_list = " + MariadbEngine.quote(u.host() + ":" + u.port()) + ";\n"
        + "SET GLOBAL clone_ssl_ca = " + MariadbEngine.quote(conf.upstreamCert().toString()) + ";\n"
        + "CLONE INSTANCE FROM " + MariadbEngine.quote(u.adminUser()) + "@" + MariadbEngine.quote(u.host()) + ":" + u.port()
        + " IDENTIFIED BY " + MariadbEngine.quote(u.adminPassword()) + " REQUIRE SSL;\n";
    MyRunner.Result r = run.run("mysql", List.of("--no-defaults", "--socket=" + conf.socket(), "--user=root", "--batch"), sql, LONG);
    // Without a supervising process the server cannot restart itself into the copy: it says so (3707) and stops.
    boolean cloned = r.output().contains("ERROR 3707") || r.ok();
    if (!cloned) {
      // The clone never began (or broke off): the new server still runs, with nothing of the primary's.
      ProcessHandle.of(pid).ifPresent(ProcessHandle::destroy);
      proc.awaitExit(pid, Duration.ofSeconds(60));
      wipeQuietly();
      throw new DbException("cannot clone the database of " + u.node() + " (" + u.host() + ":" + u.port() + "): " + r.tail()
          + " / " + proc.logTail());
    }
    proc.awaitExit(pid, Duration.ofSeconds(120));
    proc.start("mysqld", true, u.certificatePem());
    try {
      Files.deleteIfExists(conf.installMarker());
    } catch (IOException e) {
      throw new DbException("cannot remove " + conf.installMarker() + ": " + e.getMessage(), e);
    }
    replicateFrom(u);
  }

  private void wipeQuietly() {
    try {
      MariadbEngine.deleteTree(s.data());
    } catch (IOException ignored) {
      // the next attempt starts from scratch anyway (the install marker is there)
    }
  }

  @Override
  public Rejoin rejoin(Upstream u, String tag) throws DbException {
    checkServer();
    keepCredentials(u);
    stop();
    if (!initialized()) {
      cloneFrom(u, null);
      return new Rejoin(Rejoin.How.CLONED, Optional.empty(), Optional.empty(), "cloned from " + u.node()
          + " with the clone plugin");
    }
    // Started alone (super_read_only, no replication) to read what it holds; a crashed primary recovers here.
    proc.start("mysqld", true, u.certificatePem());
    String mine;
    String errant;
    String theirs = upstreamGtids(u);
    try (Connection c = connect(); PreparedStatement ps = c.prepareStatement("SELECT @@gtid_executed, GTID_SUBTRACT(@@gtid_executed, ?)")) {
      ps.setString(1, theirs);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        mine = GtidSet.oneLine(rs.getString(1));
        errant = GtidSet.oneLine(rs.getString(2));
      }
    } catch (SQLException e) {
      throw new DbException("cannot compare the GTIDs of " + describe() + " with " + u.node() + "'s: " + e.getMessage(), e);
    }
    if (errant.isEmpty()) {
      replicateFrom(u);
      return new Rejoin(Rejoin.How.FOLLOWED, Optional.empty(), Optional.empty(), "replicates from " + u.node()
          + " by GTID auto-position, from " + GtidSet.count(mine) + " transactions");
    }
    long count = GtidSet.count(errant);
    long position = GtidSet.count(mine);
    Path sql = s.data().resolveSibling(s.data().getFileName() + ".errant-" + tag + ".sql");
    extract(errant, count, sql);
    Path keep = s.data().resolveSibling(s.data().getFileName() + ".pre-clone-" + tag);
    cloneFrom(u, keep);
    Rejoin.LostRange lost = new Rejoin.LostRange(position - count, position, 0);
    return new Rejoin(Rejoin.How.CLONED, Optional.of(keep), Optional.of(lost), count + " errant transaction"
        + (count == 1 ? "" : "s") + " existed only here, never on " + u.node() + " (" + errant + "); written out as SQL to "
        + sql + "; the old data is kept in " + keep + "; cloned afresh from " + u.node());
  }

  /** The upstream's gtid_executed, read as tandem_admin over TLS. */
  private String upstreamGtids(Upstream u) throws DbException {
    try (Connection c = upstreamConnection(u.host(), Integer.toString(u.port()), u.adminUser(), u.adminPassword(), 5000, 30000);
        Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT @@gtid_executed")) {
      rs.next();
      return GtidSet.oneLine(rs.getString(1));
    } catch (SQLException e) {
      throw new DbException("cannot read the GTIDs of " + u.node() + " (" + u.host() + ":" + u.port() + "): " + e.getMessage(), e);
    }
  }

  /** Writes the errant transactions out as SQL: mysqlbinlog's extract of them, rows decoded in comments. */
  private void extract(String errant, long count, Path sql) throws DbException {
    List<String> argv = new ArrayList<>(run.argv("mysqlbinlog", List.of("--verbose", "--include-gtids=" + errant)));
    try {
      argv.addAll(MyShared.binlogFiles(s.data()));
      Path tmp = sql.resolveSibling(sql.getFileName() + ".tmp");
      MyRunner.Result r;
      try (OutputStream out = Files.newOutputStream(tmp)) {
        out.write(("-- tandem: " + count + " errant transaction(s) of " + describe() + " that the new primary never had: "
            + errant + "\n-- Replay what you need with: mysql < " + sql + "\n").getBytes(java.nio.charset.StandardCharsets.UTF_8));
        r = run.run(argv, null, out, LONG);
      }
      if (!r.ok()) {
        throw new DbException("cannot write the errant transactions " + errant + " of " + describe() + " to " + sql + ": "
            + r.tail() + "; the data dir is left as it was");
      }
      Files.move(tmp, sql, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      throw new DbException("cannot write " + sql + ": " + e.getMessage(), e);
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

  /** Nothing to do: a MySQL primary keeps its binlogs for replicas without slots. */
  @Override
  public void ensureSlots(List<String> replicas) {
  }

  /** Semi-synchronous commits on (any {@code count} above 0: MySQL waits for one replica) or off, at once. */
  @Override
  public void setSynchronous(List<String> standbys, int count) throws DbException {
    boolean on = count > 0 && !standbys.isEmpty();
    conf.semiSync(on);
    if (localRole() != LocalRole.PRIMARY || !running()) {
      return;
    }
    try (Connection c = connect(); Statement st = c.createStatement()) {
      st.execute("SET GLOBAL rpl_semi_sync_source_enabled = " + (on ? "ON" : "OFF"));
      conf.write(false, null);
    } catch (SQLException | IOException e) {
      throw new DbException("cannot turn semi-synchronous commits " + (on ? "on" : "off") + " on " + describe() + ": "
          + e.getMessage(), e);
    }
  }

  @Override
  public DbStatus status() {
    if (!running()) {
      return new DbStatus("", 0, "mysql", localRole() == LocalRole.EMPTY ? "none" : "stopped", "stopped", -1, -1, 0, -1, List.of());
    }
    try (Connection c = connect(); Statement st = c.createStatement()) {
      st.setQueryTimeout(5);
      return localRole() == LocalRole.REPLICA ? replicaStatus(c, st) : primaryStatus(st);
    } catch (SQLException | IllegalArgumentException e) {
      return new DbStatus("", 0, "mysql", localRole() == LocalRole.REPLICA ? "replica" : "primary", "starting", -1, -1, 0, -1,
          List.of());
    }
  }

  /** A replica: received = applied plus what the relay log holds beyond it; lag from Seconds_Behind_Source. */
  private static DbStatus replicaStatus(Connection c, Statement st) throws SQLException {
    Map<String, String> r = replicaStatus(st);
    String applied;
    String relayOnly;
    try (PreparedStatement ps = c.prepareStatement("SELECT @@gtid_executed, GTID_SUBTRACT(?, @@gtid_executed)")) {
      ps.setString(1, GtidSet.oneLine(r.getOrDefault("Retrieved_Gtid_Set", "")));
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        applied = rs.getString(1);
        relayOnly = rs.getString(2);
      }
    }
    String io = r.getOrDefault("Replica_IO_Running", "");
    String sql = r.getOrDefault("Replica_SQL_Running", "");
    String state = r.isEmpty() ? "not-replicating" : io.equals("Yes") && sql.equals("Yes") ? "streaming"
        : io.equals("Connecting") ? "connecting" : !sql.equals("Yes") && !r.getOrDefault("Last_SQL_Error", "").isEmpty()
        ? "sql-error" : "stopped";
    String behind = r.getOrDefault("Seconds_Behind_Source", "");
    double lag = behind.isEmpty() ? -1 : Double.parseDouble(behind);
    long position = GtidSet.count(applied);
    return new DbStatus("", 0, "mysql", "replica", state, position + GtidSet.count(relayOnly), position, 0, lag, List.of());
  }

  /** A primary lists the replicas connected to it (their report_host is their node name); each reports its own lag. */
  private static DbStatus primaryStatus(Statement st) throws SQLException {
    long position;
    boolean semiSync;
    try (ResultSet rs = st.executeQuery("SELECT @@gtid_executed, @@rpl_semi_sync_source_enabled")) {
      rs.next();
      position = GtidSet.count(rs.getString(1));
      semiSync = rs.getBoolean(2);
    }
    List<String> names = new ArrayList<>();
    try (ResultSet rs = st.executeQuery("SHOW REPLICAS")) {
      while (rs.next()) {
        names.add(rs.getString("Host"));
      }
    }
    List<DbStatus.ReplicaLag> replicas = new ArrayList<>();
    for (String node : names.stream().sorted().toList()) {
      replicas.add(new DbStatus.ReplicaLag(node, "streaming", semiSync ? "semi-sync" : "async", -1, -1, -1));
    }
    return new DbStatus("", 0, "mysql", "primary", "running", position, position, 0, 0, replicas);
  }

  static Map<String, String> replicaStatus(Statement st) throws SQLException {
    return MyShared.row(st, "SHOW REPLICA STATUS");
  }

  /** An account's connection to an upstream server over TLS, its certificate pinned to the one kept here. */
  private Connection upstreamConnection(String host, String port, String user, String password, int connectMillis,
      int socketMillis) throws SQLException {
    return MyShared.pinned(conf.upstreamCert(), host, port, user, password, connectMillis, socketMillis);
  }

  /** A connection as tandem_admin to this node's server over 127.0.0.1. */
  public Connection connect() throws SQLException {
    return connect(Optional.empty(), Duration.ofSeconds(5));
  }

  /** A connection as tandem_admin to {@code database} (empty: none chosen) on this node's server over 127.0.0.1. */
  @Override
  public Connection connect(Optional<String> database, Duration timeout) throws SQLException {
    return MyShared.admin(s, database, timeout);
  }

  @Override
  public List<String> fenceCommands() {
    return proc.fenceCommands();
  }
}
