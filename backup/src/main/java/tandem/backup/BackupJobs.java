package tandem.backup;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.time.Instant;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import tandem.config.BackupConfig;
import tandem.config.FilesConfig;
import tandem.config.GroupConfig;
import tandem.config.PostgresConfig;
import tandem.config.ResourceConfig;
import tandem.config.TandemConfig;
import tandem.db.mariadb.MyDump;
import tandem.db.postgres.PgDump;

/**
 * The operations on a configured backup ({@code backups:} in tandem.yaml), shared by the CLI and
 * the agent's scheduler: each opens the repository with the password file, takes the right lock,
 * and does one thing.
 */
public final class BackupJobs {
  private final TandemConfig config;
  private final BackupConfig backup;

  public BackupJobs(TandemConfig config, BackupConfig backup) {
    this.config = config;
    this.backup = backup;
  }

  public BackupConfig backup() {
    return backup;
  }

  /** The password in {@code password-file}: its first line. */
  public static char[] password(Path file) throws IOException {
    String text;
    try {
      text = Files.readString(file, StandardCharsets.UTF_8);
    } catch (NoSuchFileException e) {
      throw new IOException("password-file " + file + " does not exist; create it with a long random password, e.g."
          + " `head -c 32 /dev/urandom | base64 > " + file + " && chmod 600 " + file + "`, and keep a copy elsewhere:"
          + " without it the backups cannot be read");
    }
    String line = text.lines().findFirst().orElse("");
    if (line.isEmpty()) {
      throw new IOException("password-file " + file + " is empty; put the repository's password on its first line");
    }
    Set<PosixFilePermission> perms = Files.getPosixFilePermissions(file);
    if (perms.contains(PosixFilePermission.OTHERS_READ)) {
      throw new IOException("password-file " + file + " is readable by every user; `chmod 600 " + file + "` first");
    }
    return line.toCharArray();
  }

  /** The repository, created on first use (an empty or missing directory). */
  public Repository open(Path where) throws IOException {
    char[] pw = password(backup.passwordFile());
    if (!Files.exists(where.resolve("config"))) {
      return Repository.init(where, pw);
    }
    return Repository.open(where, pw);
  }

  /** The directories this backup takes: the files resources of its groups. */
  public List<Backup.Source> sources() throws IOException {
    List<Backup.Source> out = new ArrayList<>();
    for (String g : backup.groups()) {
      GroupConfig group = config.groups().get(g);
      for (ResourceConfig r : group.resources()) {
        if (r instanceof FilesConfig f) {
          out.add(new Backup.Source(g, "files", f.path()));
        }
      }
    }
    if (out.isEmpty() && dumps().isEmpty()) {
      throw new IOException("backup " + backup.name() + ": its groups " + backup.groups() + " have no files, postgres or mariadb"
          + " resource, so there is nothing to back up");
    }
    return out;
  }

  /**
   * The databases this backup dumps: each postgres and mariadb resource of its groups, from this node's server
   * (a hot standby on a replica, consistent as of one moment per database).
   */
  public List<Backup.DumpSource> dumps() {
    List<Backup.DumpSource> out = new ArrayList<>();
    for (String g : backup.groups()) {
      // Numbered as the agent numbers a group's databases (postgres and mariadb alike), which names their secrets files.
      int index = 0;
      for (ResourceConfig r : config.groups().get(g).resources()) {
        if (r instanceof tandem.config.MariadbConfig m) {
          int i = index++;
          Path secrets = config.node().dataDir().resolve("mariadb").resolve(g + "-" + i + ".secrets");
          out.add(new Backup.DumpSource(g, "mariadb", "mariadb-" + i, () -> {
            MyDump dump;
            try {
              dump = new MyDump(m.bin(), m.port(), secrets, m.databases());
            } catch (tandem.db.DbException e) {
              throw new IOException(e.getMessage(), e);
            }
            List<Backup.Dump> list = new ArrayList<>();
            list.add(new Backup.Dump("users.sql", dump::users));
            for (String db : dump.databases()) {
              list.add(new Backup.Dump(db + ".sql", () -> dump.dump(db)));
            }
            return list;
          }));
        }
        if (r instanceof PostgresConfig p) {
          int i = index++;
          Path secrets = config.node().dataDir().resolve("postgres").resolve(g + "-" + i + ".secrets");
          out.add(new Backup.DumpSource(g, "postgres", "postgres-" + i, () -> {
            PgDump dump;
            try {
              dump = new PgDump(p.bin(), p.port(), secrets);
            } catch (tandem.db.DbException e) {
              throw new IOException(e.getMessage(), e);
            }
            List<Backup.Dump> list = new ArrayList<>();
            list.add(new Backup.Dump("globals.sql", dump::globals));
            for (String db : dump.databases()) {
              list.add(new Backup.Dump(db + ".pgdump", () -> dump.dump(db)));
            }
            return list;
          }));
        }
      }
    }
    return out;
  }

  /** What one run did, copies included. */
  public record RunResult(Backup.Result result, List<String> copies) {}

  /** Takes a snapshot, then copies it to each copy-to repository. */
  public RunResult run(Backup.Progress progress) throws IOException {
    return run(progress, false);
  }

  /** Takes a snapshot ({@code rereadAll}: reading files the parent snapshot describes too), then copies it. */
  public RunResult run(Backup.Progress progress, boolean rereadAll) throws IOException {
    Repository repo = open(backup.repository());
    Backup.Result result;
    try (RepoLock lock = RepoLock.acquire(repo.root(), false, "backup " + backup.name())) {
      result = new Backup(repo, progress).rereadAll(rereadAll).run(backup.name(), sources(), dumps());
    }
    List<String> copies = new ArrayList<>();
    for (Path to : backup.copyTo()) {
      Repository target = open(to);
      try (RepoLock lock = RepoLock.acquire(to, false, "copy of " + backup.name())) {
        int n = new Copy(existing(), target).run();
        copies.add(to + ": " + n + " snapshot(s) copied");
      }
    }
    return new RunResult(result, copies);
  }

  /** The repository, which must exist already. */
  Repository existing() throws IOException {
    return Repository.open(backup.repository(), password(backup.passwordFile()));
  }

  public List<Repository.StoredSnapshot> list() throws IOException {
    return existing().snapshots();
  }

  public Restore.Result restore(String snapshot, String path, Path target) throws IOException {
    Repository repo = existing();
    try (RepoLock lock = RepoLock.acquire(repo.root(), false, "restore")) {
      return new Restore(repo).run(repo.snapshot(snapshot), path, target);
    } finally {
      repo.closeReaders();
    }
  }

  public Verify.Report verify(double readDataPercent) throws IOException {
    Repository repo = existing();
    try (RepoLock lock = RepoLock.acquire(repo.root(), false, "verify")) {
      return new Verify(repo).run(readDataPercent, System.nanoTime());
    }
  }

  /** A scratch server for the dumps of database resource {@code label} (postgres-N) of {@code group}, or null. */
  private tandem.db.postgres.ScratchPostgres scratch(String group, String label) throws IOException, tandem.db.DbException {
    var g = config.groups().get(group);
    if (g == null || !label.startsWith("postgres-")) {
      return null;
    }
    int want;
    try {
      want = Integer.parseInt(label.substring("postgres-".length()));
    } catch (NumberFormatException e) {
      return null;
    }
    int index = 0;
    for (ResourceConfig r : g.resources()) {
      if (r instanceof PostgresConfig p && index == want) {
        return tandem.db.postgres.ScratchPostgres.start(p.bin(), p.user());
      }
      if (r instanceof PostgresConfig || r instanceof tandem.config.MariadbConfig) {
        index++;
      }
    }
    return null;
  }

  /** Restores a sample of the latest snapshot's files into a scratch directory and checks them. */
  public RestoreTest.Report restoreTest(int sample) throws IOException {
    Repository repo = existing();
    try (RepoLock lock = RepoLock.acquire(repo.root(), false, "restore test")) {
      return new RestoreTest(repo).run(repo.snapshot("latest"), sample, System.nanoTime(), this::scratch);
    }
  }

  /** Applies the keep rules; with {@code dryRun} only says what would go. */
  public List<Retention.Decision> forget(boolean dryRun) throws IOException {
    Repository repo = existing();
    BackupConfig.Keep k = backup.keep();
    Retention rules = new Retention(k.last(), k.hourly(), k.daily(), k.weekly(), k.monthly(), k.yearly());
    try (RepoLock lock = RepoLock.acquire(repo.root(), !dryRun, "forget")) {
      Map<String, Instant> times = new LinkedHashMap<>();
      for (Repository.StoredSnapshot s : repo.snapshots()) {
        if (s.snapshot().backup().equals(backup.name())) {
          times.put(s.id(), Instant.parse(s.snapshot().time()));
        }
      }
      List<Retention.Decision> d = rules.apply(times, ZoneId.systemDefault());
      if (!dryRun) {
        for (Retention.Decision x : d) {
          if (!x.keep()) {
            repo.deleteSnapshot(x.id());
            CrashPoint.reached("forget-after-deleting-a-snapshot");
          }
        }
      }
      return d;
    }
  }

  public Prune.Result prune(boolean dryRun) throws IOException {
    Repository repo = existing();
    try (RepoLock lock = RepoLock.acquire(repo.root(), !dryRun, "prune")) {
      return new Prune(repo).run(dryRun);
    }
  }

  /** Copies every snapshot to the copy-to repositories (or to {@code to}); returns lines to print. */
  public List<String> copy(List<Path> to) throws IOException {
    List<String> out = new ArrayList<>();
    for (Path t : to) {
      Repository target = open(t);
      try (RepoLock lock = RepoLock.acquire(t, false, "copy")) {
        out.add(t + ": " + new Copy(existing(), target).run() + " snapshot(s) copied");
      }
    }
    return out;
  }
}
