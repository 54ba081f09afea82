package tandem.db.postgres;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * PostgreSQL's side of continuous WAL archiving for point-in-time recovery. The server's
 * archive_command copies each finished WAL file into a spool directory beside the data dir
 * ({@code <data>.tandem/wal-spool}): a temporary name, fsync, rename, fsync of the directory, so a
 * file in the spool is always whole. The agent then pushes the spool into the backup repository
 * and removes what it stored. The command needs nothing but a shell and coreutils: the server's OS
 * user can neither read tandem's repository password nor wait on a repository lock, and a slow or
 * unreachable repository must never make a commit wait.
 */
public final class WalArchive {
  /** The prefix of a file still being copied into the spool (tandem's temporary names, left out of backups). */
  public static final String PARTIAL = ".tandem-tmp-";

  private WalArchive() {}

  /** The spool directory of the server whose data directory is {@code data}. */
  public static Path spool(Path data) {
    Path d = data.toAbsolutePath().normalize();
    return d.resolveSibling(d.getFileName() + ".tandem").resolve("wal-spool");
  }

  /** The script archive_command runs, beside the spool (a command line with the paths would outgrow PostgreSQL's 1024 bytes). */
  public static Path script(Path data) {
    return spool(data).resolveSibling("archive-wal");
  }

  /**
   * The settings that turn archiving into the spool on. archive_mode always: a standby archives
   * what it receives too, so the archive has no gap when a primary dies before archiving.
   */
  public static Map<String, String> parameters(Path data) {
    return Map.of("archive_mode", "always", "archive_command", PgRunner.quote(script(data).toString()) + " %p %f");
  }

  /**
   * The archive script: copies WAL file $1 (named $2) into the spool under a temporary name,
   * fsyncs it, renames it, fsyncs the directory. A file already in the spool (the server retries
   * after a crash between copy and bookkeeping) counts as archived when it is identical and is an
   * error when it is not: an archive never overwrites a WAL file.
   */
  static String scriptText(Path data) {
    String dir = PgRunner.quote(spool(data).toString());
    return "#!/bin/sh\n# Written by tandem (pitr: on): PostgreSQL's archive_command, copying a WAL file into the spool the agent\n"
        + "# pushes into the backup repository. Usage: archive-wal %p %f\n"
        + "set -eu\n"
        + "spool=" + dir + "\n"
        + "if [ -f \"$spool/$2\" ]; then exec cmp -s \"$1\" \"$spool/$2\"; fi\n"
        + "tmp=\"$spool/" + PARTIAL + "$2\"\n"
        + "cp \"$1\" \"$tmp\"\n"
        + "sync \"$tmp\"\n"
        + "mv \"$tmp\" \"$spool/$2\"\n"
        + "sync \"$spool\"\n";
  }

  /** The whole WAL files (segments, timeline histories, backup labels) waiting in {@code spool}, oldest name first. */
  public static List<Path> waiting(Path spool) throws IOException {
    if (!Files.isDirectory(spool)) {
      return List.of();
    }
    try (Stream<Path> s = Files.list(spool)) {
      return s.filter(Files::isRegularFile).filter(p -> !p.getFileName().toString().startsWith(".")).sorted().toList();
    }
  }
}
