package tandem.db.postgres;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import tandem.db.DbException;
import tandem.db.Scratch;

/**
 * Point-in-time recovery of a restored base backup: PostgreSQL replays archived WAL from a
 * directory up to a moment, promotes itself, and is stopped cleanly, leaving a data directory that
 * starts as an ordinary primary. The server runs on a free port with no TCP listener and no TLS,
 * and never archives: it must not write into the group's WAL archive. When it stops short (the
 * archive ends before the moment, or the moment is before the base backup was consistent), the
 * server's own words are in the error.
 */
public final class PgRecovery {
  static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss.SSSSSSxxx").withZone(ZoneOffset.UTC);
  /** The server log of the replay, left in the data directory for the operator. */
  public static final String LOG = "tandem-pitr.log";

  private PgRecovery() {}

  /** What the replay did. */
  public record Result(Duration took, String lastLines) {}

  /**
   * Replays the WAL files in {@code wal} over the base backup in {@code data} up to {@code to} (the
   * last transaction committed at or before it is the last one kept; null: only as far as the base
   * backup needs to be consistent), as {@code osUser}.
   */
  public static Result recover(Optional<Path> configuredBin, String osUser, Path data, Path wal, Instant to, Duration timeout)
      throws DbException, IOException, InterruptedException {
    long start = System.nanoTime();
    Path bin = PgBin.find(configuredBin);
    PgRunner run = new PgRunner(bin, osUser);
    PgFiles files = new PgFiles(osUser);
    Files.deleteIfExists(data.resolve("standby.signal"));
    Files.deleteIfExists(data.resolve("postmaster.pid"));
    Path main = data.resolve("postgresql.conf");
    String text = Files.exists(main) ? Files.readString(main) : "";
    if (!text.contains(PgConf.INCLUDE)) {
      Files.writeString(main, text + (text.endsWith("\n") || text.isEmpty() ? "" : "\n") + PgConf.INCLUDE + "\n");
    }
    // The server needs a socket; a path inside a deep target could exceed the 107 bytes a socket path may have.
    Path socket = Scratch.directory("tandem-pitr-");
    try {
      return replay(run, files, data, wal, socket, to, timeout, osUser, start);
    } finally {
      Scratch.delete(socket);
    }
  }

  private static Result replay(PgRunner run, PgFiles files, Path data, Path wal, Path socket, Instant to, Duration timeout,
      String osUser, long start) throws DbException, IOException, InterruptedException {
    String what = to == null ? "the end of the base backup" : TIME.format(to);
    List<String> conf = new ArrayList<>(common("point-in-time recovery to " + what + ", in progress"));
    conf.add("port = " + Scratch.freePort());
    conf.add("listen_addresses = ''");
    conf.add("unix_socket_directories = " + PgConf.value(socket.toString()));
    conf.add("hot_standby = off");
    conf.add("restore_command = " + PgConf.value("cp " + PgRunner.quote(wal.toString()) + "/%f %p"));
    conf.add(to == null ? "recovery_target = 'immediate'" : "recovery_target_time = " + PgConf.value(TIME.format(to)));
    conf.add("recovery_target_action = 'promote'");
    conf.add("recovery_target_timeline = 'latest'");
    files.privateFile(data.resolve("tandem.conf"), String.join("\n", conf) + "\n");
    files.privateFile(data.resolve("recovery.signal"), "");
    chown(osUser, data, wal, socket);
    Path log = data.resolve(LOG);
    Files.deleteIfExists(log);
    PgRunner.Result started = run.run("pg_ctl", List.of("-D", data.toString(), "-l", log.toString(), "-W", "start"), Map.of(), null,
        Duration.ofSeconds(30));
    if (!started.ok()) {
      throw new DbException("pg_ctl could not start the recovery: " + started.tail());
    }
    // Interrupted (Ctrl-C, kill): the half-recovered server must not run on without anyone watching it.
    Thread stopOnExit = new Thread(() -> {
      try {
        run.run("pg_ctl", List.of("-D", data.toString(), "-m", "immediate", "-w", "stop"), Map.of(), null, Duration.ofSeconds(30));
      } catch (IOException | InterruptedException e) {
        // exiting anyway
      }
    }, "pitr-stop-on-exit");
    Runtime.getRuntime().addShutdownHook(stopOnExit);
    // Killed with -9, no hook runs: a watcher outside this JVM stops the server then.
    try (tandem.db.OrphanGuard guard = tandem.db.OrphanGuard.postgres(data)) {
      return await(run, files, data, log, to, timeout, start);
    } finally {
      try {
        Runtime.getRuntime().removeShutdownHook(stopOnExit);
      } catch (IllegalStateException exiting) {
        // the hook runs
      }
    }
  }

  private static Result await(PgRunner run, PgFiles files, Path data, Path log, Instant to, Duration timeout, long start)
      throws DbException, IOException, InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    ProcessHandle server = null;
    while (true) {
      if (server == null) {
        server = postmaster(data);
      }
      // A replay that ends at once (a target past the archive) can stop the server before its
      // postmaster.pid was ever seen here: the log says so, and nothing would come of waiting.
      if (server != null && !server.isAlive() || server == null && hasShutDown(log)) {
        throw new DbException("the recovery stopped: " + fatal(log) + " (the whole server log is " + log + ")");
      }
      if (server != null && !Files.exists(data.resolve("recovery.signal")) && status(data).equals("ready")) {
        break;
      }
      if (System.nanoTime() > deadline) {
        run.run("pg_ctl", List.of("-D", data.toString(), "-m", "fast", "-w", "stop"), Map.of(), null, Duration.ofMinutes(2));
        throw new DbException("the recovery did not finish within " + timeout.toMinutes() + " min; it was stopped (see " + log
            + ")");
      }
      Thread.sleep(200);
    }
    PgRunner.Result stopped = run.run("pg_ctl", List.of("-D", data.toString(), "-m", "fast", "-w", "stop"), Map.of(), null,
        Duration.ofMinutes(5));
    if (!stopped.ok()) {
      throw new DbException("the recovered server did not stop: " + stopped.tail());
    }
    List<String> done = new ArrayList<>(common("restored by tandem to " + (to == null ? "the end of its base backup"
        : TIME.format(to)) + " at " + Instant.now()));
    files.privateFile(data.resolve("tandem.conf"), String.join("\n", done) + "\n");
    String tail = String.join(" / ", Files.readAllLines(log).stream().filter(l -> l.contains("recovery stopping")
        || l.contains("last completed transaction") || l.contains("selected new timeline")).toList());
    return new Result(Duration.ofNanos(System.nanoTime() - start), tail);
  }

  /** True when the server log shows the server has stopped (or failed to start): it has a FATAL or PANIC line or says it shut down. */
  private static boolean hasShutDown(Path log) throws IOException {
    if (!Files.exists(log)) {
      return false;
    }
    return Files.readAllLines(log).stream().anyMatch(l -> l.contains("FATAL:") || l.contains("PANIC:")
        || l.contains("database system is shut down"));
  }

  /** Settings a restored copy keeps after the replay too: it is nobody's replica, and it must not archive into the group's WAL. */
  private static List<String> common(String what) {
    return List.of("# Written by tandem: " + what + ".", "# This copy does not archive WAL (the group's archive is the"
        + " original server's); change what you need below.", "archive_mode = off", "ssl = off", "primary_conninfo = ''",
        "primary_slot_name = ''", "synchronous_standby_names = ''");
  }

  private static void chown(String osUser, Path... paths) throws IOException, InterruptedException {
    if (osUser.equals(System.getProperty("user.name"))) {
      return;
    }
    List<String> cmd = new ArrayList<>(List.of("chown", "-R", osUser + ":"));
    for (Path p : paths) {
      cmd.add(p.toString());
    }
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
    if (p.waitFor() != 0) {
      throw new IOException("cannot give the restored files to " + osUser + ": " + out.strip());
    }
    new PgFiles(osUser).own(paths[0], "rwx------");
  }

  private static ProcessHandle postmaster(Path data) throws IOException {
    List<String> lines = pidFile(data);
    if (lines.isEmpty()) {
      return null;
    }
    try {
      return ProcessHandle.of(Long.parseLong(lines.getFirst().strip())).orElse(null);
    } catch (NumberFormatException e) {
      return null;
    }
  }

  /** The server's state in postmaster.pid (starting, ready, standby, stopping), or "". */
  private static String status(Path data) throws IOException {
    List<String> lines = pidFile(data);
    return lines.size() >= 8 ? lines.get(7).strip() : "";
  }

  private static List<String> pidFile(Path data) throws IOException {
    try {
      return Files.readAllLines(data.resolve("postmaster.pid"));
    } catch (java.nio.file.NoSuchFileException e) {
      return List.of();
    }
  }

  /** The FATAL and PANIC lines of the server log (why the replay stopped), or its last lines. */
  private static String fatal(Path log) throws IOException {
    List<String> lines = Files.exists(log) ? Files.readAllLines(log) : List.of();
    List<String> bad = lines.stream().filter(l -> l.contains("FATAL") || l.contains("PANIC")).toList();
    List<String> pick = bad.isEmpty() ? lines.subList(Math.max(0, lines.size() - 3), lines.size()) : bad;
    return String.join(" / ", pick.stream().map(String::strip).toList());
  }
}
