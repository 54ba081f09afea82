package tandem.db.mariadb;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import tandem.db.DbException;

/**
 * The server process of a {@link MariadbEngine} or {@link MysqlEngine}: started detached from this
 * JVM (it outlives the agent, as a service would), found again by its pid file, waited for.
 */
final class MyProcess {
  private final MariadbSettings s;
  private final MyConf conf;
  private final MyRunner run;
  private final String describe;
  private volatile Process started;

  MyProcess(MariadbSettings s, MyConf conf, MyRunner run, String describe) {
    this.s = s;
    this.conf = conf;
    this.run = run;
    this.describe = describe;
  }

  /** The server's process id, when it lives: the one started here, else the pid file's. */
  Optional<Long> pid() {
    Process p = started;
    if (p != null && p.isAlive()) {
      return Optional.of(p.pid());
    }
    try {
      if (!Files.exists(conf.pidFile())) {
        return Optional.empty();
      }
      long pid = Long.parseLong(Files.readString(conf.pidFile()).trim());
      return ProcessHandle.of(pid).filter(ProcessHandle::isAlive).map(ProcessHandle::pid);
    } catch (IOException | RuntimeException e) {
      return Optional.empty();
    }
  }

  /** Writes the configuration, starts {@code program} with it and waits until it takes connections. */
  void start(String program, boolean replica, String upstreamCertPem) throws DbException {
    try {
      conf.privateDir(s.data());
      conf.write(replica, upstreamCertPem);
      Files.deleteIfExists(conf.pidFile());
      Files.deleteIfExists(conf.socket());
      ProcessBuilder pb = new ProcessBuilder("setsid", run.program(program).toString(), "--defaults-file=" + conf.cnf())
          .redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectErrorStream(true)
          .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
      pb.directory(Path.of("/").toFile());
      started = pb.start();
    } catch (IOException e) {
      throw new DbException("cannot start " + describe + ": " + e.getMessage(), e);
    }
    long until = System.nanoTime() + Duration.ofSeconds(120).toNanos();
    while (System.nanoTime() < until) {
      if (!started.isAlive()) {
        throw new DbException(describe + " stopped while starting (exit " + started.exitValue() + "): " + logTail()
            + "; see " + conf.log());
      }
      if (Files.exists(conf.pidFile()) && accepts()) {
        return;
      }
      java.util.concurrent.locks.LockSupport.parkNanos(50_000_000L);
    }
    throw new DbException(describe + " did not take connections within 120 s; see " + conf.log());
  }

  private boolean accepts() {
    try (Socket so = new Socket()) {
      so.connect(new InetSocketAddress("127.0.0.1", s.port()), 500);
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  /** The last errors of the server's log, for messages. */
  String logTail() {
    try {
      List<String> lines = Files.readAllLines(conf.log()).stream().filter(l -> l.contains("ERROR")).toList();
      return lines.isEmpty() ? "no error logged" : String.join(" / ", lines.subList(Math.max(0, lines.size() - 3), lines.size()));
    } catch (IOException e) {
      // The server could not even open its log: usually its user cannot reach the directory.
      return "no log at " + conf.log() + " (can the user " + s.osUser() + " reach it? every directory above " + s.data()
          + " must be searchable (x) by it)";
    }
  }

  /** Waits until {@code pid} ended; SIGKILL after {@code grace}. */
  void awaitExit(long pid, Duration grace) throws DbException {
    Optional<ProcessHandle> h = ProcessHandle.of(pid);
    if (h.isEmpty()) {
      return;
    }
    try {
      h.get().onExit().get(grace.toMillis(), TimeUnit.MILLISECONDS);
    } catch (java.util.concurrent.TimeoutException e) {
      h.get().destroyForcibly();
      try {
        h.get().onExit().get(30, TimeUnit.SECONDS);
      } catch (Exception still) {
        throw new DbException("cannot stop " + describe + " (pid " + pid + "): it outlived SIGKILL");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new DbException("interrupted while stopping " + describe, e);
    } catch (java.util.concurrent.ExecutionException e) {
      throw new DbException("cannot wait for " + describe + " to stop: " + e.getMessage(), e);
    }
  }

  /** The watchdog's step: SIGTERM to the server (it closes its listeners and kills its clients at once), SIGKILL after 30 s. */
  List<String> fenceCommands() {
    String pidFile = MyRunner.quote(conf.pidFile().toString());
    return List.of("pid=$(cat " + pidFile + " 2>/dev/null) || exit 0; kill -TERM \"$pid\" 2>/dev/null || exit 0; i=0;"
        + " while kill -0 \"$pid\" 2>/dev/null; do i=$((i+1)); if [ $i -gt 300 ]; then kill -KILL \"$pid\"; fi; sleep 0.1; done");
  }
}
