package tandem.db.postgres;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import tandem.db.DbSecrets;
import tandem.db.DatabaseEngine;
import tandem.db.DbException;
import tandem.db.DbStatus;
import tandem.db.Rejoin;
import tandem.db.Upstream;

/**
 * A PostgreSQL server on this node driven with its own tools (initdb, pg_ctl, pg_basebackup,
 * pg_rewind, postgres --single) and SQL over JDBC as tandem_admin on 127.0.0.1.
 *
 * <p>Rejoining after a change of primary: a replica on the new primary's history just follows it
 * (recovery_target_timeline = latest). Data that went further than the point where the new
 * primary's timeline branched off (an old primary's last writes, or a replica that received more
 * than the one promoted) is first copied aside, then cut back with pg_rewind; the range cut is
 * reported. When pg_rewind cannot work, the old data is moved aside and the node cloned afresh.
 */
public final class PostgresEngine implements DatabaseEngine {
  private static final String ACCOUNTS = "PostgreSQL roles (tandem_replication, tandem_admin)";
  static final String ADMIN = "tandem_admin";
  static final String REPLICATION = "tandem_replication";
  private static final Duration QUICK = Duration.ofSeconds(30);
  private static final Duration LONG = Duration.ofHours(6);
  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(PostgresEngine.class);
  private static final Pattern DIVERGED = Pattern.compile("servers diverged at WAL location ([0-9A-F]+/[0-9A-F]+) on timeline (\\d+)");

  private final PostgresSettings s;
  private final PgRunner run;
  private final PgFiles files;
  private final PgConf conf;

  public PostgresEngine(PostgresSettings settings) {
    this.s = settings;
    this.run = new PgRunner(settings.bin(), settings.osUser());
    this.files = new PgFiles(settings.osUser());
    this.conf = new PgConf(settings, files);
  }

  @Override
  public String describe() {
    return "postgres " + s.data() + " :" + s.port();
  }

  @Override
  public boolean initialized() {
    return Files.exists(s.data().resolve("PG_VERSION")) && !Files.exists(initdbMarker());
  }

  /**
   * Present while initdb runs into an empty data dir. initdb writes PG_VERSION early: a data dir an
   * initdb killed half way left behind has one, and without the marker would count as made.
   */
  private Path initdbMarker() {
    return s.support().resolve("initdb-incomplete");
  }

  @Override
  public boolean running() {
    return postmasterPid().isPresent();
  }

  /** The server's process id from postmaster.pid, when that process lives. */
  public Optional<Long> postmasterPid() {
    Path pidFile = s.data().resolve("postmaster.pid");
    try {
      if (!Files.exists(pidFile)) {
        return Optional.empty();
      }
      long pid = Long.parseLong(Files.readAllLines(pidFile).getFirst().trim());
      return ProcessHandle.of(pid).filter(ProcessHandle::isAlive).map(ProcessHandle::pid);
    } catch (IOException | RuntimeException e) {
      return Optional.empty();
    }
  }

  @Override
  public LocalRole localRole() {
    if (!initialized()) {
      return LocalRole.EMPTY;
    }
    return Files.exists(s.data().resolve("standby.signal")) ? LocalRole.REPLICA : LocalRole.PRIMARY;
  }

  // ---- bootstrap ---------------------------------------------------------------------------

  @Override
  public void bootstrap() throws DbException {
    try {
      DbSecrets secrets = DbSecrets.read(s.secrets());
      if (secrets == null) {
        // A data dir tandem never ran: it may be the system's cluster, still running.
        tandem.db.ForeignServer.refuseIfRunning(s.data(), "PostgreSQL",
            "e.g. systemctl disable --now postgresql, or pg_ctl stop -D " + s.data());
        secrets = DbSecrets.generate();
      }
      if (!initialized()) {
        if (Files.exists(initdbMarker())) {
          LOG.warn("{}: the last initdb did not finish; making the data dir again from scratch", describe());
          deleteTree(s.data());
        }
        files.privateDir(s.data());
        if (isEmptyDir(s.data())) {
          files.privateDir(s.support());
          Files.writeString(initdbMarker(), "initdb started into an empty " + s.data() + "\n");
        }
        must("initdb", List.of("-D", s.data().toString(), "--data-checksums", "-E", "UTF8", "--locale=C.UTF-8",
            "--auth-local=peer", "--auth-host=scram-sha-256"), Map.of(), null, LONG);
        Files.deleteIfExists(initdbMarker());
      } else {
        stop();
      }
      secrets.write(s.secrets(), ACCOUNTS);
      conf.write(null, false);
      createRoles(secrets);
    } catch (IOException e) {
      throw new DbException("cannot prepare " + s.data() + ": " + e.getMessage(), e);
    }
  }

  /** tandem's two roles, made or updated in single-user mode (no server, no connection, no password on a command line). */
  private void createRoles(DbSecrets secrets) throws DbException, IOException {
    run.secret(secrets.admin());
    run.secret(secrets.replication());
    String sql = role(ADMIN, "SUPERUSER LOGIN", secrets.admin()) + role(REPLICATION, "REPLICATION LOGIN", secrets.replication());
    must("postgres", List.of("--single", "-D", s.data().toString(), "postgres"), Map.of(), sql, QUICK);
  }

  private static String role(String name, String attributes, String password) {
    return "DO $$BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '" + name + "') THEN CREATE ROLE " + name
        + "; END IF; END$$;\nALTER ROLE " + name + " WITH " + attributes + " PASSWORD '" + password + "';\n";
  }

  // ---- start, stop, promote ----------------------------------------------------------------

  @Override
  public void startPrimary() throws DbException {
    if (running()) {
      if (localRole() == LocalRole.PRIMARY) {
        return;
      }
      throw new DbException(describe() + " runs as a replica; promote it instead of starting it as a primary");
    }
    writeConf(null, false);
    start(true);
  }

  @Override
  public void promote() throws DbException {
    if (localRole() == LocalRole.PRIMARY) {
      startPrimary();
      return;
    }
    if (!running()) {
      // A stopped replica is started as one (without upstream) so that the promotion opens a new
      // timeline; starting it as a primary would continue the old one and hide any divergence.
      writeConf(null, true);
      start(true);
    }
    try (Connection c = connect()) {
      try (Statement st = c.createStatement()) {
        st.setQueryTimeout(90);
        if (!conf.synchronousNames().isEmpty()) {
          // The names setSynchronous stored take effect at the promotion itself: written and
          // reloaded while a standby (where they do nothing), so the first commit already waits.
          // The walreceiver stops; it has nothing left to receive from a primary being replaced.
          writeConf(null, true);
          st.execute("SELECT pg_reload_conf()");
          awaitSetting("synchronous_standby_names", conf.synchronousNames());
        }
        ResultSet rs = st.executeQuery("SELECT pg_promote(true, 60)");
        rs.next();
        if (!rs.getBoolean(1)) {
          throw new DbException(describe() + " did not finish its promotion within 60 s; see " + conf.log());
        }
        // pg_rewind on the others reads the new timeline from the control file: write it now.
        st.execute("CHECKPOINT");
      }
    } catch (SQLException e) {
      throw new DbException("cannot promote " + describe() + ": " + e.getMessage() + "; see " + conf.log(), e);
    }
    writeConf(null, false);
  }

  /** Waits (up to 5 s) until a new session sees {@code name} = {@code value}: a reload is asynchronous. */
  private void awaitSetting(String name, String value) throws SQLException {
    long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(5);
    while (System.nanoTime() < deadline) {
      try (Connection fresh = connect(); Statement s2 = fresh.createStatement();
          ResultSet rs = s2.executeQuery("SELECT current_setting('" + name + "')")) {
        if (rs.next() && value.equals(rs.getString(1))) {
          return;
        }
      }
      java.util.concurrent.locks.LockSupport.parkNanos(20_000_000);
    }
    throw new SQLException(name + " was not '" + value + "' 5 s after a reload");
  }

  @Override
  public void startReplica(Upstream upstream) throws DbException {
    if (running()) {
      stop();
    }
    writeConf(upstream, true);
    start(false);
  }

  @Override
  public void stop() throws DbException {
    if (!running()) {
      return;
    }
    PgRunner.Result r = exec("pg_ctl", List.of("stop", "-D", s.data().toString(), "-m", "fast", "-w", "-t", "60"), Map.of(), QUICK.multipliedBy(3));
    if (!r.ok() && running()) {
      PgRunner.Result hard = exec("pg_ctl", List.of("stop", "-D", s.data().toString(), "-m", "immediate", "-w", "-t", "30"), Map.of(), QUICK.multipliedBy(2));
      if (!hard.ok() && running()) {
        throw new DbException("cannot stop " + describe() + ": " + r.tail() + "; " + hard.tail());
      }
    }
  }

  private void start(boolean waitForConnections) throws DbException {
    List<String> args = new ArrayList<>(List.of("start", "-D", s.data().toString(), "-l", conf.log().toString(),
        "-t", "120"));
    args.add(waitForConnections ? "-w" : "-W");
    PgRunner.Result r = exec("pg_ctl", args, Map.of(), Duration.ofSeconds(150));
    if (!r.ok()) {
      throw new DbException("cannot start " + describe() + ": " + r.tail() + "; see " + conf.log());
    }
    if (!waitForConnections) {
      long until = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      while (!running() && System.nanoTime() < until) {
        pause();
      }
      if (!running()) {
        throw new DbException(describe() + " did not start; see " + conf.log());
      }
    }
  }

  private static void pause() {
    java.util.concurrent.locks.LockSupport.parkNanos(100_000_000L);
  }

  // ---- clone, rewind -------------------------------------------------------------------------

  /** Replaces the data dir with a base backup of {@code u} (the old one, if any, is moved to {@code keep}). */
  void cloneFrom(Upstream u, Path keep) throws DbException {
    stop();
    try {
      if (Files.exists(initdbMarker())) { // an initdb killed half way: nothing in the data dir to keep
        deleteTree(s.data());
        Files.delete(initdbMarker());
      }
      if (Files.exists(s.data()) && keep != null && !isEmptyDir(s.data())) {
        Files.move(s.data(), keep);
      } else if (Files.exists(s.data()) && isEmptyDir(s.data())) {
        Files.delete(s.data());
      }
      conf.writeSupport(u);
      files.privateDir(s.data());
    } catch (IOException e) {
      throw new DbException("cannot prepare " + s.data() + " for a copy from " + u.node() + ": " + e.getMessage(), e);
    }
    run.secret(u.replicationPassword());
    PgRunner.Result r = exec("pg_basebackup", List.of("-D", s.data().toString(), "-h", u.host(), "-p", Integer.toString(u.port()),
        "-U", u.replicationUser(), "-X", "stream", "-S", PostgresSettings.slotOf(s.node()), "-c", "fast", "-w"),
        Map.of("PGPASSWORD", u.replicationPassword(), "PGSSLMODE", "verify-ca", "PGSSLROOTCERT", conf.upstreamCert().toString(),
            "PGAPPNAME", s.node(), "PGCONNECT_TIMEOUT", "10"), LONG);
    if (!r.ok()) {
      try {
        deleteTree(s.data());
      } catch (IOException ignored) {
        // the next attempt moves it aside
      }
      throw new DbException("cannot copy the database from " + u.node() + " (" + u.host() + ":" + u.port() + "): " + r.tail());
    }
    writeConf(u, true);
  }

  @Override
  public Rejoin rejoin(Upstream u, String tag) throws DbException {
    stop();
    if (!initialized()) {
      cloneFrom(u, null);
      start(false);
      return new Rejoin(Rejoin.How.CLONED, Optional.empty(), Optional.empty(), "copied from " + u.node() + " with pg_basebackup");
    }
    try {
      String state = control().getOrDefault("Database cluster state", "");
      if (state.equals("in archive recovery")) {
        // A replica that stopped abruptly: it replays as a replica again and follows the new timeline.
        startReplica(u);
        return new Rejoin(Rejoin.How.FOLLOWED, Optional.empty(), Optional.empty(), "restarted as a replica of " + u.node());
      }
      if (!state.startsWith("shut down")) {
        recoverAlone();
      }
      Map<String, String> ctl = control();
      long last = Lsn.parse(ctl.get("Latest checkpoint location"));
      long tli = Long.parseLong(ctl.getOrDefault("Latest checkpoint's TimeLineID", "0").trim());
      writeConf(u, true);
      PgRunner.Result dry = rewind(u, true);
      if (dry.ok() && dry.output().contains("no rewind required")) {
        start(false);
        return new Rejoin(Rejoin.How.FOLLOWED, Optional.empty(), Optional.empty(), "follows " + u.node() + " (no rewind required)");
      }
      if (dry.ok()) {
        Path copy = aside("pre-rewind-" + tag);
        copyTree(s.data(), copy);
        PgRunner.Result real = rewind(u, false);
        if (real.ok()) {
          Matcher m = DIVERGED.matcher(real.output());
          Optional<Rejoin.LostRange> lost = m.find()
              ? Optional.of(new Rejoin.LostRange(Lsn.parse(m.group(1)), last, Long.parseLong(m.group(2))))
              : Optional.empty();
          writeConf(u, true);
          start(false);
          return new Rejoin(Rejoin.How.REWOUND, Optional.of(copy), lost, "rewound with pg_rewind to the history of " + u.node()
              + lost.map(l -> "; WAL " + Lsn.format(l.from()) + " to " + Lsn.format(l.to()) + " on timeline " + l.timeline()
              + " (" + l.bytes() + " bytes) was never replicated").orElse("") + "; the data before the rewind is kept in " + copy);
        }
        dry = real;
      }
      Path keep = aside("pre-clone-" + tag);
      cloneFrom(u, keep);
      start(false);
      return new Rejoin(Rejoin.How.CLONED, Optional.of(keep), Optional.empty(), "pg_rewind could not run (" + dry.tail()
          + "); copied afresh from " + u.node() + " with pg_basebackup; the old data is kept in " + keep
          + (tli > 0 ? " (it ended at WAL " + Lsn.format(last) + " on timeline " + tli + ")" : ""));
    } catch (IOException e) {
      throw new DbException("cannot rejoin " + describe() + " to " + u.node() + ": " + e.getMessage(), e);
    }
  }

  private PgRunner.Result rewind(Upstream u, boolean dryRun) throws DbException {
    run.secret(u.adminPassword());
    List<String> args = new ArrayList<>(List.of("--target-pgdata=" + s.data(), "--source-server=host=" + u.host() + " port="
        + u.port() + " user=" + u.adminUser() + " dbname=postgres sslmode=verify-ca sslrootcert=" + conf.upstreamCert()
        + " connect_timeout=10", "--progress"));
    if (dryRun) {
      args.add("--dry-run");
    }
    return exec("pg_rewind", args, Map.of("PGPASSWORD", u.adminPassword()), LONG);
  }

  /** Crash recovery of a primary that stopped abruptly, alone (single-user mode), so pg_rewind and pg_controldata see a clean state. */
  private void recoverAlone() throws DbException, IOException {
    Files.deleteIfExists(s.data().resolve("standby.signal"));
    Files.deleteIfExists(s.data().resolve("postmaster.pid"));
    must("postgres", List.of("--single", "-F", "-D", s.data().toString(), "-c", "archive_mode=off", "template1"), Map.of(), "", LONG);
  }

  private Path aside(String what) {
    return s.data().resolveSibling(s.data().getFileName() + "." + what);
  }

  private Map<String, String> control() throws DbException {
    PgRunner.Result r = must("pg_controldata", List.of("-D", s.data().toString()), Map.of(), null, QUICK);
    Map<String, String> out = new java.util.HashMap<>();
    for (String line : r.output().split("\n")) {
      int colon = line.indexOf(':');
      if (colon > 0) {
        out.put(line.substring(0, colon).trim(), line.substring(colon + 1).trim());
      }
    }
    return out;
  }

  // ---- facts, slots, status ----------------------------------------------------------------

  @Override
  public Upstream asUpstream(String node, String host, long epoch) throws DbException {
    try {
      DbSecrets secrets = DbSecrets.read(s.secrets());
      if (secrets == null) {
        throw new DbException("no passwords in " + s.secrets() + "; this node did not bootstrap or clone the database");
      }
      return new Upstream(node, host, s.port(), REPLICATION, secrets.replication(), ADMIN, secrets.admin(),
          s.certificatePem(), epoch);
    } catch (IOException e) {
      throw new DbException("cannot read " + s.secrets() + ": " + e.getMessage(), e);
    }
  }

  @Override
  public void keepCredentials(Upstream u) throws DbException {
    try {
      DbSecrets have = DbSecrets.read(s.secrets());
      DbSecrets now = new DbSecrets(u.replicationPassword(), u.adminPassword());
      if (!now.equals(have)) {
        now.write(s.secrets(), ACCOUNTS);
      }
    } catch (IOException e) {
      throw new DbException("cannot write " + s.secrets() + ": " + e.getMessage(), e);
    }
  }

  @Override
  public void ensureSlots(List<String> replicas) throws DbException {
    try (Connection c = connect(); Statement st = c.createStatement()) {
      for (String node : replicas) {
        String slot = PostgresSettings.slotOf(node);
        st.execute("SELECT pg_create_physical_replication_slot('" + slot + "', true) WHERE NOT EXISTS"
            + " (SELECT 1 FROM pg_replication_slots WHERE slot_name = '" + slot + "')");
      }
    } catch (SQLException e) {
      throw new DbException("cannot create replication slots on " + describe() + ": " + e.getMessage(), e);
    }
  }

  @Override
  public void setSynchronous(List<String> standbys, int count) throws DbException {
    String names = count <= 0 || standbys.isEmpty() ? "" : "ANY " + count + " ("
        + String.join(", ", standbys.stream().map(n -> "\"" + n.replace("\"", "") + "\"").toList()) + ")";
    conf.synchronousNames(names);
    if (localRole() != LocalRole.PRIMARY || !running()) {
      return;
    }
    writeConf(null, false);
    try (Connection c = connect(); Statement st = c.createStatement()) {
      st.execute("SELECT pg_reload_conf()");
    } catch (SQLException e) {
      throw new DbException("cannot reload " + describe() + " with synchronous_standby_names = '" + names + "': " + e.getMessage(), e);
    }
  }

  @Override
  public DbStatus status() {
    if (!running()) {
      return new DbStatus("", 0, "postgres", localRole() == LocalRole.EMPTY ? "none" : "stopped", "stopped", -1, -1, 0, -1, List.of());
    }
    try (Connection c = connect(); Statement st = c.createStatement()) {
      st.setQueryTimeout(5);
      ResultSet rs = st.executeQuery("SELECT pg_is_in_recovery(), (SELECT timeline_id FROM pg_control_checkpoint())");
      rs.next();
      boolean replica = rs.getBoolean(1);
      long tli = rs.getLong(2);
      return replica ? PgStatus.replica(st, tli) : PgStatus.primary(st, tli);
    } catch (SQLException e) {
      return new DbStatus("", 0, "postgres", localRole() == LocalRole.REPLICA ? "replica" : "primary", "starting", -1, -1, 0, -1, List.of());
    }
  }

  /** A connection as tandem_admin to this node's server over 127.0.0.1 (for tests and tandem's own checks). */
  public Connection connect() throws SQLException {
    return connect("postgres", 5);
  }

  @Override
  public Connection connect(Optional<String> database, Duration timeout) throws SQLException {
    return connect(database.orElse("postgres"), (int) Math.max(1, (timeout.toMillis() + 999) / 1000));
  }

  private Connection connect(String database, int connectTimeoutSeconds) throws SQLException {
    DbSecrets secrets;
    try {
      secrets = DbSecrets.read(s.secrets());
    } catch (IOException e) {
      throw new SQLException("cannot read " + s.secrets() + ": " + e.getMessage(), e);
    }
    if (secrets == null) {
      throw new SQLException("no passwords in " + s.secrets());
    }
    Properties p = new Properties();
    p.setProperty("user", ADMIN);
    p.setProperty("password", secrets.admin());
    p.setProperty("sslmode", "disable");
    p.setProperty("connectTimeout", Integer.toString(connectTimeoutSeconds));
    p.setProperty("socketTimeout", "120");
    p.setProperty("ApplicationName", "tandem");
    return DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + s.port() + "/"
        + java.net.URLEncoder.encode(database, java.nio.charset.StandardCharsets.UTF_8).replace("+", "%20"), p);
  }

  @Override
  public List<String> fenceCommands() {
    String d = s.data().toString();
    return List.of(run.shell("pg_ctl", List.of("stop", "-D", d, "-m", "fast", "-w", "-t", "20")) + " || "
        + run.shell("pg_ctl", List.of("stop", "-D", d, "-m", "immediate", "-w", "-t", "20")));
  }

  // ---- helpers -----------------------------------------------------------------------------

  private void writeConf(Upstream u, boolean standby) throws DbException {
    try {
      conf.write(u, standby);
    } catch (IOException e) {
      throw new DbException("cannot write the configuration of " + describe() + ": " + e.getMessage(), e);
    }
  }

  private PgRunner.Result exec(String program, List<String> args, Map<String, String> env, Duration timeout) throws DbException {
    try {
      return run.run(program, args, env, null, timeout);
    } catch (IOException e) {
      throw new DbException("cannot run " + program + ": " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new DbException(program + " interrupted", e);
    }
  }

  private PgRunner.Result must(String program, List<String> args, Map<String, String> env, String stdin, Duration timeout)
      throws DbException {
    PgRunner.Result r;
    try {
      r = run.run(program, args, env, stdin, timeout);
    } catch (IOException e) {
      throw new DbException("cannot run " + program + ": " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new DbException(program + " interrupted", e);
    }
    if (!r.ok() || (program.equals("postgres") && r.output().contains("ERROR:"))) {
      throw new DbException(program + " failed for " + describe() + ": " + r.tail());
    }
    return r;
  }

  private static boolean isEmptyDir(Path dir) throws IOException {
    try (var list = Files.list(dir)) {
      return list.findAny().isEmpty();
    }
  }

  private void copyTree(Path from, Path to) throws IOException, DbException {
    PgRunner.Result r;
    try {
      Process p = new ProcessBuilder("cp", "-a", from.toString(), to.toString()).redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
      r = new PgRunner.Result(p.waitFor(), out);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new DbException("copy of " + from + " interrupted", e);
    }
    if (!r.ok()) {
      throw new DbException("cannot keep a copy of " + from + " in " + to + " before rewinding it: " + r.tail());
    }
  }

  private static void deleteTree(Path dir) throws IOException {
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
