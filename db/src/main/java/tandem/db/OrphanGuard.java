package tandem.db;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * Stops a server that a process started for a while (a point-in-time recovery, a scratch server
 * for a restore test) when that process dies before stopping it, even by kill -9, which runs no
 * shutdown hook: a small shell process polls the owner's PID once a second and, once it is gone,
 * signals the PID in the server's pid file (PostgreSQL: SIGQUIT, an immediate shutdown as
 * {@code pg_ctl stop -m immediate} does; MariaDB: SIGTERM). A server that already stopped has
 * removed its pid file, so nothing is signalled.
 */
public final class OrphanGuard implements AutoCloseable {
  private static final String SCRIPT = """
      while kill -0 "$1" 2>/dev/null; do sleep 1; done
      pid=$(head -n 1 "$2" 2>/dev/null)
      case "$pid" in ''|*[!0-9]*) exit 0;; esac
      echo "tandem: the process that ran this server (pid $1) is gone; stopping the server (pid $pid)" >&2
      kill -"$3" "$pid"
      """;
  private final Process watcher;

  private OrphanGuard(Process watcher) {
    this.watcher = watcher;
  }

  /** Watches {@code owner}; when it is gone, sends {@code signal} (e.g. "QUIT") to the PID in {@code pidFile}'s first line. */
  public static OrphanGuard start(long owner, Path pidFile, String signal) throws IOException {
    if (!signal.matches("[A-Z]+")) {
      throw new IllegalArgumentException("a signal name such as QUIT or TERM, not " + signal);
    }
    Process p = new ProcessBuilder(List.of("sh", "-c", SCRIPT, "tandem-orphan-guard", Long.toString(owner),
            pidFile.toString(), signal))
        .redirectOutput(ProcessBuilder.Redirect.DISCARD)
        .redirectError(ProcessBuilder.Redirect.INHERIT)
        .start();
    p.getOutputStream().close();
    return new OrphanGuard(p);
  }

  /** Watches this JVM for the PostgreSQL server running in {@code data}. */
  public static OrphanGuard postgres(Path data) throws IOException {
    return start(ProcessHandle.current().pid(), data.resolve("postmaster.pid"), "QUIT");
  }

  /** Whether the watcher still runs (it ends once it has acted). */
  public boolean watching() {
    return watcher.isAlive();
  }

  /** The owner stopped the server itself: the watcher is no longer needed. */
  @Override
  public void close() {
    watcher.destroy();
  }
}
