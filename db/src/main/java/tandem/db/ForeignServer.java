package tandem.db;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * A database server that runs on a data directory tandem is about to take over, but that tandem
 * did not start: the system's own service (postgresql@15-main, mariadb.service) or one started by
 * hand. Found through /proc: a server process works in its data directory. Taking the directory
 * over while it runs would start a second server on it (refused by the server's lock, after a
 * confusing error) or stop the first behind its service manager's back, which restarts it at the
 * next boot; so tandem refuses and says how to hand the server over.
 *
 * @param pid the server's process ID
 * @param command its command line
 */
public record ForeignServer(long pid, String command) {
  /** The server process whose working directory is {@code data}, if one runs and /proc lets this process see it. */
  public static Optional<ForeignServer> on(Path data) {
    Path real;
    try {
      real = data.toRealPath();
    } catch (IOException e) {
      return Optional.empty();
    }
    try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
      return procs.filter(p -> p.getFileName().toString().chars().allMatch(Character::isDigit))
          .filter(p -> worksIn(p, real))
          .map(p -> new ForeignServer(Long.parseLong(p.getFileName().toString()), commandLine(p)))
          .min(java.util.Comparator.comparingLong(ForeignServer::pid));
    } catch (IOException e) {
      return Optional.empty();
    }
  }

  /**
   * Refuses to take over {@code data} while a server tandem did not start runs on it.
   *
   * @param what the server, for the message (e.g. "PostgreSQL")
   * @param handOver how to stop the system's service for good, e.g. "systemctl disable --now mariadb"
   */
  public static void refuseIfRunning(Path data, String what, String handOver) throws DbException {
    Optional<ForeignServer> f = on(data);
    if (f.isPresent()) {
      throw new DbException("a " + what + " server that tandem did not start runs on " + data + " (pid " + f.get().pid() + ": "
          + f.get().command() + "); tandem takes over a data directory only while no server runs on it: stop that server and"
          + " keep it from starting again (" + handOver + "), and tandem adopts the data directory and runs the server itself");
    }
  }

  private static boolean worksIn(Path proc, Path dir) {
    try {
      return Files.readSymbolicLink(proc.resolve("cwd")).equals(dir);
    } catch (IOException | UnsupportedOperationException | SecurityException e) {
      return false; // gone, or another user's process this one may not see
    }
  }

  private static String commandLine(Path proc) {
    try {
      return new String(Files.readAllBytes(proc.resolve("cmdline")), java.nio.charset.StandardCharsets.UTF_8).replace('\0', ' ').trim();
    } catch (IOException e) {
      return "?";
    }
  }
}
