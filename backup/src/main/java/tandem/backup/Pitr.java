package tandem.backup;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import tandem.config.BackupConfig;
import tandem.db.DbException;
import tandem.db.postgres.PgRecovery;

/**
 * PostgreSQL point-in-time recovery from a repository. A backup with {@code pitr: on} stores a base
 * backup ({@value #BASE}, pg_basebackup's tar with the WAL that makes it consistent) in each
 * snapshot, and the agent pushes the server's archived WAL files as WAL snapshots (backup name
 * {@code <name>/wal}, one source of kind {@value #WAL} per group). A recovery restores the newest
 * base taken before the moment asked for, stages every archived WAL file of the group beside it,
 * and has PostgreSQL replay them up to that moment.
 */
public final class Pitr {
  public static final String BASE = "base.tar";
  public static final String WAL = "wal";

  private final Repository repo;
  private final BackupConfig backup;

  Pitr(Repository repo, BackupConfig backup) {
    this.repo = repo;
    this.backup = backup;
  }

  /**
   * What a recovery did.
   *
   * @param base the snapshot whose base backup it started from
   * @param walFiles the archived WAL files staged for the replay
   * @param newestWal when the newest of them was pushed (null without any)
   */
  public record Result(String base, Instant baseTime, int walFiles, Instant newestWal, Duration took, String server) {}

  /** Whether {@code s} holds archived WAL rather than a backup. */
  public static boolean isWal(Model.Snapshot s) {
    return !s.sources().isEmpty() && s.sources().stream().allMatch(src -> src.kind().equals(WAL));
  }

  Result run(String group, Instant to, Path target, Optional<Path> bin, String osUser, Duration timeout) throws IOException {
    long start = System.nanoTime();
    if (Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
      try (var s = Files.list(target)) {
        if (s.findAny().isPresent()) {
          throw new FileAlreadyExistsException(target + " is not empty; point-in-time recovery writes a new data directory:"
              + " give a new or empty directory (nothing is overwritten)");
        }
      }
    }
    List<Repository.StoredSnapshot> all = repo.snapshots();
    Repository.StoredSnapshot baseSnap = null;
    Model.Node base = null;
    List<Repository.StoredSnapshot> newestFirst = new ArrayList<>(all);
    newestFirst.sort(Comparator.comparing((Repository.StoredSnapshot s) -> s.snapshot().time()).reversed());
    for (Repository.StoredSnapshot s : newestFirst) {
      if (!s.snapshot().backup().equals(backup.name()) || Instant.parse(s.snapshot().time()).isAfter(to)) {
        continue;
      }
      base = baseOf(s, group);
      if (base != null) {
        baseSnap = s;
        break;
      }
    }
    if (base == null) {
      String oldest = all.stream().filter(s -> s.snapshot().backup().equals(backup.name())).filter(s -> {
        try {
          return baseOf(s, group) != null;
        } catch (IOException e) {
          return false;
        }
      }).map(s -> s.snapshot().time()).findFirst().orElse(null);
      throw new NoSuchFileException(oldest == null
          ? "backup " + backup.name() + " holds no base backup of group " + group + "'s PostgreSQL yet: set pitr: on for it and"
              + " run `tandem backup run " + backup.name() + "`"
          : "no base backup of group " + group + " was taken before " + to + "; the oldest is from " + oldest
              + ", so that is the earliest moment to recover to");
    }
    Files.createDirectories(target);
    Files.setPosixFilePermissions(target, Restore.permissions(0700));
    Path stage = target.toAbsolutePath().resolveSibling("." + target.getFileName() + ".tandem-wal");
    tandem.db.Scratch.delete(stage);
    Files.createDirectories(stage);
    try {
      Process tar = new ProcessBuilder("tar", "-x", "-f", "-", "-C", target.toString()).redirectOutput(ProcessBuilder.Redirect.DISCARD)
          .start();
      String err = DumpFeed.feed(repo, base, tar);
      if (err != null) {
        throw new IOException("unpacking the base backup into " + target + " failed: " + err);
      }
      // Oldest first: a file pushed twice (by the primary and by a standby, which archives too) is taken once, from its newest push.
      java.util.Map<String, Model.Node> wal = new java.util.TreeMap<>();
      Instant newest = null;
      for (Repository.StoredSnapshot s : all) {
        if (!s.snapshot().backup().equals(backup.walName())) {
          continue;
        }
        for (Model.Source src : s.snapshot().sources()) {
          if (!src.group().equals(group) || !src.kind().equals(WAL)) {
            continue;
          }
          for (Model.Node n : repo.tree(src.tree()).nodes()) {
            if (n.type().equals("file")) {
              wal.put(Restore.checked(n.name()), n);
              newest = Instant.parse(s.snapshot().time());
            }
          }
        }
      }
      Restore restore = new Restore(repo);
      for (Model.Node n : wal.values()) {
        restore.restoreNode(n, stage.resolve(n.name()));
      }
      int files = wal.size();
      PgRecovery.Result r;
      try {
        r = PgRecovery.recover(bin, osUser, target, stage, to, timeout);
      } catch (DbException e) {
        throw new IOException(e.getMessage() + (newest == null ? "; the repository holds no archived WAL of group " + group
            : "; the newest archived WAL was pushed at " + newest) + ". " + target + " is not usable; remove it before trying again",
            e);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new java.io.InterruptedIOException("interrupted during the recovery");
      }
      return new Result(baseSnap.id(), Instant.parse(baseSnap.snapshot().time()), files, newest,
          Duration.ofNanos(System.nanoTime() - start), r.lastLines());
    } finally {
      tandem.db.Scratch.delete(stage);
    }
  }

  /** The base backup of {@code group} in {@code s}, or null. */
  private Model.Node baseOf(Repository.StoredSnapshot s, String group) throws IOException {
    for (Model.Source src : s.snapshot().sources()) {
      if (src.group().equals(group) && src.kind().equals("postgres")) {
        for (Model.Node n : repo.tree(src.tree()).nodes()) {
          if (n.name().equals(BASE) && n.type().equals("file")) {
            return n;
          }
        }
      }
    }
    return null;
  }

  /**
   * The WAL snapshots of {@code backup} that no kept base backup needs, as decisions to forget them:
   * those pushed before the newest snapshot older than the oldest kept one finished, which was
   * before that oldest kept base backup began.
   */
  static List<Retention.Decision> walToForget(List<Repository.StoredSnapshot> all, BackupConfig backup,
      List<Retention.Decision> decided) {
    Instant oldestKept = decided.stream().filter(Retention.Decision::keep).map(Retention.Decision::time).min(Comparator.naturalOrder())
        .orElse(null);
    if (oldestKept == null) {
      return List.of();
    }
    Instant cutoff = all.stream().filter(s -> s.snapshot().backup().equals(backup.name()))
        .map(s -> Instant.parse(s.snapshot().time())).filter(t -> t.isBefore(oldestKept)).max(Comparator.naturalOrder())
        .orElse(null);
    if (cutoff == null) {
      return List.of();
    }
    List<Retention.Decision> out = new ArrayList<>();
    for (Repository.StoredSnapshot s : all) {
      Instant t = Instant.parse(s.snapshot().time());
      if (s.snapshot().backup().equals(backup.walName()) && t.isBefore(cutoff)) {
        out.add(new Retention.Decision(s.id(), t, false, List.of("archived WAL older than every kept base backup")));
      }
    }
    return out;
  }
}
