package tandem.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import tandem.backup.BackupJobs;
import tandem.backup.Pitr;
import tandem.config.BackupConfig;
import tandem.config.TandemConfig;

@Command(name = "pitr", description = {"PostgreSQL point-in-time recovery: restore a group's database as it was at a moment",
    "into a new data directory (the newest base backup before it, plus the archived WAL up to it).",
    "Needs a backup with pitr: on. The running servers are not touched."})
final class PitrCommand implements Callable<Integer> {
  @Mixin ConfigOption config;

  @Option(names = {"-g", "--group"}, required = true, description = "the group whose PostgreSQL to recover")
  String group;

  @Option(names = "--to", required = true, description = {"the moment: \"2026-11-21 14:30:00\" (this machine's time zone),",
      "or with an offset, e.g. 2026-11-21T13:30:00Z; the last transaction committed by then is the last one kept"})
  String to;

  @Option(names = "--target", required = true, description = "a new or empty directory for the recovered data directory")
  Path target;

  @Option(names = {"-b", "--backup"}, description = "which backup's repository (needed when several have pitr: on for the group)")
  String backup;

  @Option(names = "--timeout", defaultValue = "1h", description = "how long the WAL replay may take (default: ${DEFAULT-VALUE})")
  String timeout;

  @Override
  public Integer call() throws IOException {
    TandemConfig cfg = config.load();
    Instant at = moment(to);
    Duration limit;
    try {
      limit = tandem.core.Durations.parse(timeout);
    } catch (IllegalArgumentException e) {
      throw new CliException(2, "--timeout " + timeout + ": " + e.getMessage());
    }
    BackupJobs jobs = new BackupJobs(cfg, choose(cfg));
    System.out.println("restoring group " + group + "'s PostgreSQL as of " + at + " into " + target + " ...");
    Pitr.Result r = jobs.pitr(group, at, target.toAbsolutePath(), limit);
    System.out.printf(Locale.ROOT, "recovered to %s in %.1f s: base backup of snapshot %s (%s), %d archived WAL file(s) replayed"
        + " as far as needed%n", at, r.took().toMillis() / 1000.0, r.base().substring(0, 8), r.baseTime(), r.walFiles());
    if (!r.server().isEmpty()) {
      System.out.println("  PostgreSQL: " + r.server());
    }
    System.out.println("  " + target + " is a stopped, self-contained primary (it archives nothing); start it with"
        + " `pg_ctl -D " + target + " -o '-p PORT' start` as its OS user");
    return 0;
  }

  /** The backup to recover from: the one named, else the only one with pitr: on for the group. */
  private BackupConfig choose(TandemConfig cfg) {
    if (!cfg.groups().containsKey(group)) {
      throw new CliException(2, "no group '" + group + "' in " + config.path() + "; groups: " + cfg.groups().keySet());
    }
    if (backup != null) {
      BackupConfig b = cfg.backups().get(backup);
      if (b == null) {
        throw new CliException(2, "no backup '" + backup + "' in " + config.path() + "; backups: " + cfg.backups().keySet());
      }
      if (!b.pitr() || !b.groups().contains(group)) {
        throw new CliException(2, "backup " + backup + " does not archive group " + group + "'s WAL (it needs pitr: on and "
            + group + " in its groups)");
      }
      return b;
    }
    List<BackupConfig> pitr = cfg.backups().values().stream().filter(b -> b.pitr() && b.groups().contains(group)).toList();
    if (pitr.isEmpty()) {
      throw new CliException(2, "no backup in " + config.path() + " has pitr: on for group " + group + "; add pitr: on to the"
          + " backup of " + group + ", restart the agents, and take a backup: recovery reaches back to that first base backup");
    }
    if (pitr.size() > 1) {
      throw new CliException(2, "several backups archive group " + group + "'s WAL " + pitr.stream().map(BackupConfig::name).toList()
          + "; choose one with --backup NAME");
    }
    return pitr.getFirst();
  }

  /** A moment from the command line: with an offset or Z as written, without one in this machine's time zone. */
  static Instant moment(String text) {
    String t = text.strip().replace(' ', 'T');
    try {
      return OffsetDateTime.parse(t, DateTimeFormatter.ISO_OFFSET_DATE_TIME).toInstant();
    } catch (DateTimeParseException withoutOffset) {
      try {
        return LocalDateTime.parse(t, DateTimeFormatter.ISO_LOCAL_DATE_TIME).atZone(ZoneId.systemDefault()).toInstant();
      } catch (DateTimeParseException e) {
        throw new CliException(2, "--to '" + text + "' is not a moment; write e.g. \"2026-11-21 14:30:00\" (this machine's time"
            + " zone) or 2026-11-21T13:30:00Z");
      }
    }
  }
}
