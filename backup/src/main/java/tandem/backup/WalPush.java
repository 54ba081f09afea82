package tandem.backup;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import tandem.config.BackupConfig;
import tandem.config.GroupConfig;
import tandem.config.PostgresConfig;
import tandem.config.ResourceConfig;
import tandem.config.TandemConfig;
import tandem.db.postgres.WalArchive;

/**
 * Pushes the WAL waiting in the spools of this node's PostgreSQL servers into the repositories of
 * the backups with {@code pitr: on}. Whichever node is primary archives; a replica's spool is empty.
 */
public final class WalPush {
  private WalPush() {}

  /** What one push stored. */
  public record Pushed(String backup, String group, int files) {}

  /** Pushes every spool of the groups of pitr backups ({@code onlyGroup}: only that group's, when not null). */
  public static List<Pushed> all(TandemConfig cfg, String onlyGroup) throws IOException {
    List<Pushed> out = new ArrayList<>();
    for (BackupConfig b : cfg.backups().values()) {
      if (!b.pitr()) {
        continue;
      }
      BackupJobs jobs = new BackupJobs(cfg, b);
      for (String group : b.groups()) {
        GroupConfig g = cfg.groups().get(group);
        if (g == null || (onlyGroup != null && !onlyGroup.equals(group))) {
          continue;
        }
        for (ResourceConfig r : g.resources()) {
          if (r instanceof PostgresConfig p) {
            int n = jobs.pushWal(group, WalArchive.spool(p.data()));
            out.add(new Pushed(b.name(), group, n));
          }
        }
      }
    }
    return out;
  }
}
