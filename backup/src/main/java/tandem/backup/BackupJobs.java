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
import tandem.config.RepositoryLocation;
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

  /** The repository at {@code where}, created on first use (an empty or missing directory, an unused S3 prefix). */
  public Repository open(RepositoryLocation where) throws IOException {
    char[] pw = password(backup.passwordFile());
    Store store = store(where);
    if (!store.exists("config")) {
      return Repository.init(store, pw);
    }
    return Repository.open(store, pw);
  }

  /** The store at {@code where}, with this backup's S3 credentials. */
  public Store store(RepositoryLocation where) throws IOException {
    return Stores.open(where, backup.s3CredentialsFile());
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
          String label = m.kind() + "-" + i;
          Path secrets = secrets(g, label);
          out.add(new Backup.DumpSource(g, m.kind(), label, () -> {
            MyDump dump;
            try {
              dump = new MyDump(m.bin(), m.port(), secrets, m.databases(), m.mysql());
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
          Path secrets = secrets(g, "postgres-" + i);
          out.add(new Backup.DumpSource(g, "postgres", "postgres-" + i, () -> {
            PgDump dump;
            try {
              dump = new PgDump(p.bin(), p.port(), secrets);
            } catch (tandem.db.DbException e) {
              throw new IOException(e.getMessage(), e);
            }
            List<Backup.Dump> list = new ArrayList<>();
            if (backup.pitr()) {
              list.add(new Backup.Dump(Pitr.BASE, dump::baseBackup));
            }
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

  /** The agent's passwords file of database resource {@code label} (postgres-N, mariadb-N) of {@code group}. */
  private Path secrets(String group, String label) {
    int dash = label.lastIndexOf('-');
    return config.node().dataDir().resolve(label.substring(0, dash)).resolve(group + label.substring(dash) + ".secrets");
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
    try (RepoLock lock = RepoLock.acquire(repo.store(), false, "backup " + backup.name())) {
      result = new Backup(repo, progress).rereadAll(rereadAll).run(backup.name(), sources(), dumps());
    }
    List<String> copies = new ArrayList<>();
    for (RepositoryLocation to : backup.copyTo()) {
      Repository target = open(to);
      try (RepoLock lock = RepoLock.acquire(target.store(), false, "copy of " + backup.name())) {
        int n = new Copy(existing(), target).run();
        copies.add(to + ": " + n + " snapshot(s) copied");
      }
    }
    return new RunResult(result, copies);
  }

  /** The repository, which must exist already. */
  Repository existing() throws IOException {
    return Repository.open(store(backup.repository()), password(backup.passwordFile()));
  }

  /** The backups in the repository, oldest first (archived WAL left out: see {@link #archivedWal}). */
  public List<Repository.StoredSnapshot> list() throws IOException {
    return existing().snapshots().stream().filter(s -> !Pitr.isWal(s.snapshot())).toList();
  }

  /** A group's WAL archived in the repository for point-in-time recovery. */
  public record ArchivedWal(String group, int files, long bytes, String newest) {}

  /** The archived WAL of each group in the repository (of any backup), by group. */
  public List<ArchivedWal> archivedWal() throws IOException {
    Repository repo = existing();
    Map<String, long[]> count = new java.util.TreeMap<>();
    Map<String, String> newest = new java.util.HashMap<>();
    for (Repository.StoredSnapshot s : repo.snapshots()) {
      if (!Pitr.isWal(s.snapshot())) {
        continue;
      }
      for (Model.Source src : s.snapshot().sources()) {
        long[] c = count.computeIfAbsent(src.group(), g -> new long[2]);
        for (Model.Node n : repo.tree(src.tree()).nodes()) {
          c[0]++;
          c[1] += n.size();
        }
        newest.put(src.group(), s.snapshot().time());
      }
    }
    List<ArchivedWal> out = new ArrayList<>();
    count.forEach((g, c) -> out.add(new ArchivedWal(g, (int) c[0], c[1], newest.get(g))));
    return out;
  }

  public Restore.Result restore(String snapshot, String path, Path target) throws IOException {
    Repository repo = existing();
    try (RepoLock lock = RepoLock.acquire(repo.store(), false, "restore")) {
      return new Restore(repo).run(repo.snapshot(snapshot), path, target);
    } finally {
      repo.closeReaders();
    }
  }

  public Verify.Report verify(double readDataPercent) throws IOException {
    Repository repo = existing();
    try (RepoLock lock = RepoLock.acquire(repo.store(), false, "verify")) {
      return new Verify(repo).run(readDataPercent, System.nanoTime());
    }
  }

  /** A scratch server for the dumps of database resource {@code label} (postgres-N) of {@code group}, or null. */
  private tandem.db.postgres.ScratchPostgres scratch(String group, String label) throws IOException, tandem.db.DbException {
    return databaseResource(group, label) instanceof PostgresConfig p && label.startsWith("postgres-")
        ? tandem.db.postgres.ScratchPostgres.start(p.bin(), p.user())
        : null;
  }

  /** The database resource of {@code group} that a snapshot calls {@code label} (postgres-N, mariadb-N), or null. */
  private ResourceConfig databaseResource(String group, String label) {
    GroupConfig g = config.groups().get(group);
    int dash = label.lastIndexOf('-');
    if (g == null || dash < 0) {
      return null;
    }
    int want;
    try {
      want = Integer.parseInt(label.substring(dash + 1));
    } catch (NumberFormatException e) {
      return null;
    }
    int index = 0;
    for (ResourceConfig r : g.resources()) {
      if (r instanceof PostgresConfig || r instanceof tandem.config.MariadbConfig) {
        if (index++ == want) {
          return r;
        }
      }
    }
    return null;
  }

  /** A dump loaded into a new database: from which snapshot and resource, which file, how many bytes. */
  public record DatabaseRestored(String snapshot, String source, String dump, String database, long bytes) {}

  /**
   * Loads one database dump of a snapshot ({@code path}: group/postgres-0/shop.pgdump or
   * group/mariadb-0/shop.sql) into the new database {@code database} on this node's server of that
   * resource. Nothing existing is touched: the database must not exist, the server must not be a
   * read-only replica, and a load that fails drops the database it created.
   */
  public DatabaseRestored restoreDatabase(String snapshot, String path, String database) throws IOException {
    tandem.db.DumpLoader.checkedName(database);
    Repository repo = existing();
    try (RepoLock lock = RepoLock.acquire(repo.store(), false, "restore")) {
      Repository.StoredSnapshot s = repo.snapshot(snapshot);
      List<String> want = Restore.segments(path);
      List<Model.Source> sources = s.snapshot().sources();
      for (Model.Source src : sources) {
        if (!src.kind().equals("postgres") && !src.kind().equals("mariadb") && !src.kind().equals("mysql")) {
          continue;
        }
        List<String> label = sources.size() == 1 ? List.of() : List.of(src.group(), src.path());
        if (want.size() != label.size() + 1 || !want.subList(0, label.size()).equals(label)) {
          continue;
        }
        String file = want.getLast();
        Model.Node dump = repo.tree(src.tree()).nodes().stream().filter(n -> n.name().equals(file) && n.type().equals("file"))
            .findFirst().orElse(null);
        if (dump == null) {
          continue;
        }
        String where = src.group() + "/" + src.path();
        String suffix = src.kind().equals("postgres") ? ".pgdump" : ".sql";
        if (!file.endsWith(suffix) || file.equals("users.sql")) {
          throw new IOException(path + " is not one database's dump (those are " + where + "/<name>" + suffix + "); "
              + "restore it with --target DIR and load it by hand");
        }
        tandem.db.DumpLoader loader = loader(src.group(), src.path());
        loader.createDatabase(database);
        String err;
        try {
          err = DumpFeed.feed(repo, dump, loader.load(database));
        } catch (IOException e) {
          err = e.getMessage();
        }
        if (err != null) {
          loader.dropDatabase(database);
          throw new IOException("loading " + path + " into " + database + " failed (" + err + "); the new database was"
              + " dropped again, nothing else changed");
        }
        return new DatabaseRestored(s.id(), where, file, database, dump.size());
      }
      throw new NoSuchFileException("snapshot " + s.id().substring(0, 8) + " holds no database dump " + path
          + "; `tandem backup list` and `backup restore " + snapshot + " --target DIR` show what it holds");
    } finally {
      repo.closeReaders();
    }
  }

  /** The loader for database resource {@code label} of {@code group} on this node, as tandem.yaml describes it. */
  private tandem.db.DumpLoader loader(String group, String label) throws IOException {
    ResourceConfig r = databaseResource(group, label);
    try {
      if (r instanceof PostgresConfig p && label.startsWith("postgres-")) {
        return new PgDump(p.bin(), p.port(), secrets(group, label));
      }
      if (r instanceof tandem.config.MariadbConfig m && label.startsWith(m.kind() + "-")) {
        return new MyDump(m.bin(), m.port(), secrets(group, label), m.databases(), m.mysql());
      }
    } catch (tandem.db.DbException e) {
      throw new IOException(e.getMessage(), e);
    }
    throw new IOException("this node's tandem.yaml has no " + label + " resource in group " + group
        + ", so there is no server to restore " + group + "/" + label + " into");
  }

  /** Restores a sample of the latest snapshot's files into a scratch directory and checks them. */
  public RestoreTest.Report restoreTest(int sample) throws IOException {
    Repository repo = existing();
    try (RepoLock lock = RepoLock.acquire(repo.store(), false, "restore test")) {
      return new RestoreTest(repo).run(repo.snapshot("latest"), sample, System.nanoTime(), new RestoreTest.Scratches() {
        @Override
        public tandem.db.postgres.ScratchPostgres start(String group, String label) throws IOException, tandem.db.DbException {
          return scratch(group, label);
        }

        @Override
        public boolean startBase(String group, String label, Path data) throws IOException, tandem.db.DbException {
          if (!(databaseResource(group, label) instanceof PostgresConfig p) || !label.startsWith("postgres-")) {
            return false;
          }
          Path wal = Files.createDirectories(data.resolveSibling("wal"));
          try {
            tandem.db.postgres.PgRecovery.recover(p.bin(), p.user(), data, wal, null, java.time.Duration.ofMinutes(30));
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException("interrupted during the restore test of a base backup");
          }
          return true;
        }

        @Override
        public tandem.db.mariadb.ScratchMariadb startMariadb(String group, String label) throws IOException, tandem.db.DbException {
          return databaseResource(group, label) instanceof tandem.config.MariadbConfig m && label.startsWith(m.kind() + "-")
              ? tandem.db.mariadb.ScratchMariadb.start(m.bin(), m.user(), m.mysql())
              : null;
        }
      });
    }
  }

  /** Applies the keep rules; with {@code dryRun} only says what would go. */
  public List<Retention.Decision> forget(boolean dryRun) throws IOException {
    Repository repo = existing();
    BackupConfig.Keep k = backup.keep();
    Retention rules = new Retention(k.last(), k.hourly(), k.daily(), k.weekly(), k.monthly(), k.yearly());
    try (RepoLock lock = RepoLock.acquire(repo.store(), !dryRun, "forget")) {
      Map<String, Instant> times = new LinkedHashMap<>();
      for (Repository.StoredSnapshot s : repo.snapshots()) {
        if (s.snapshot().backup().equals(backup.name())) {
          times.put(s.id(), Instant.parse(s.snapshot().time()));
        }
      }
      List<Retention.Decision> d = new ArrayList<>(rules.apply(times, ZoneId.systemDefault()));
      d.addAll(Pitr.walToForget(repo.snapshots(), backup, d));
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

  /**
   * Pushes the WAL files waiting in {@code spool} (of a postgres resource of {@code group}) into
   * the repository as one WAL snapshot, then removes them from the spool; returns how many.
   */
  public int pushWal(String group, Path spool) throws IOException {
    List<Path> waiting = tandem.db.postgres.WalArchive.waiting(spool);
    if (waiting.isEmpty()) {
      return 0;
    }
    Repository repo = open(backup.repository());
    try (RepoLock lock = RepoLock.acquire(repo.store(), false, "wal push " + group)) {
      new Backup(repo, Backup.Progress.NONE).rereadAll(true).run(backup.walName(),
          List.of(new Backup.Source(group, Pitr.WAL, spool)));
    }
    for (Path p : waiting) {
      Files.deleteIfExists(p);
    }
    return waiting.size();
  }

  /**
   * Restores {@code group}'s PostgreSQL as it was at {@code to} into {@code target}: the newest base
   * backup taken before then, and the archived WAL replayed up to then.
   */
  public Pitr.Result pitr(String group, java.time.Instant to, Path target, java.time.Duration timeout) throws IOException {
    GroupConfig g = config.groups().get(group);
    if (g == null || !backup.groups().contains(group)) {
      throw new IOException("backup " + backup.name() + " does not back up a group " + group + "; it backs up "
          + backup.groups());
    }
    PostgresConfig p = g.resources().stream().filter(PostgresConfig.class::isInstance).map(PostgresConfig.class::cast)
        .findFirst().orElseThrow(() -> new IOException("group " + group + " has no postgres resource"));
    Repository repo = existing();
    try (RepoLock lock = RepoLock.acquire(repo.store(), false, "pitr " + group)) {
      return new Pitr(repo, backup).run(group, to, target, p.bin(), p.user(), timeout);
    } finally {
      repo.closeReaders();
    }
  }

  public Prune.Result prune(boolean dryRun) throws IOException {
    Repository repo = existing();
    try (RepoLock lock = RepoLock.acquire(repo.store(), !dryRun, "prune")) {
      return new Prune(repo).run(dryRun);
    }
  }

  /** Copies every snapshot to the copy-to repositories (or to {@code to}); returns lines to print. */
  public List<String> copy(List<RepositoryLocation> to) throws IOException {
    List<String> out = new ArrayList<>();
    for (RepositoryLocation t : to) {
      Repository target = open(t);
      try (RepoLock lock = RepoLock.acquire(target.store(), false, "copy")) {
        out.add(t + ": " + new Copy(existing(), target).run() + " snapshot(s) copied");
      }
    }
    return out;
  }
}
