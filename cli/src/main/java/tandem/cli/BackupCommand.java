package tandem.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import tandem.backup.Backup;
import tandem.backup.BackupJobs;
import tandem.backup.Prune;
import tandem.backup.Repository;
import tandem.backup.Restore;
import tandem.backup.RestoreTest;
import tandem.backup.Retention;
import tandem.backup.Verify;
import tandem.config.BackupConfig;
import tandem.config.RepositoryLocation;
import tandem.config.TandemConfig;

/**
 * {@code tandem backup ...}: the backups configured under {@code backups:}, run on this node. Its subcommands are added
 * by {@link Main#commandLine}: only the one named, when one is.
 */
@Command(name = "backup", description = "Take, list, restore, verify and prune backups (the backups: section of tandem.yaml).")
final class BackupCommand implements Runnable {
  @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

  /** Usage with the subcommands this command line was given (they are added in {@link Main#commandLine}, not by annotation). */
  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  /** Options every subcommand has: the config and which backup. */
  static final class Which {
    @Mixin ConfigOption config;

    @Option(names = {"-b", "--backup"}, description = "which entry of backups: (needed when there are several)")
    String name;

    /** The config {@link #jobs} read. */
    TandemConfig loaded;

    BackupJobs jobs() {
      TandemConfig cfg = config.load();
      loaded = cfg;
      if (cfg.backups().isEmpty()) {
        throw new CliException(2, config.path() + " has no backups: section; add one, e.g.\n  backups:\n    nightly:\n"
            + "      schedule: daily\n      groups: [web]\n      repository: /backups/tandem\n"
            + "      password-file: /etc/tandem/backup.key\n      keep: { daily: 7, weekly: 4, monthly: 12 }");
      }
      BackupConfig b;
      if (name != null) {
        b = cfg.backups().get(name);
        if (b == null) {
          throw new CliException(2, "no backup '" + name + "' in " + config.path() + "; backups: " + cfg.backups().keySet());
        }
      } else if (cfg.backups().size() == 1) {
        b = cfg.backups().values().iterator().next();
      } else {
        throw new CliException(2, "several backups are configured " + cfg.backups().keySet() + "; choose one with --backup NAME");
      }
      return new BackupJobs(cfg, b);
    }
  }

  static String size(double bytes) {
    String[] units = {"B", "KiB", "MiB", "GiB", "TiB"};
    int u = 0;
    while (bytes >= 1024 && u < units.length - 1) {
      bytes /= 1024;
      u++;
    }
    return String.format(Locale.ROOT, u == 0 ? "%.0f %s" : "%.1f %s", bytes, units[u]);
  }

  /** ", ETA 1m20s" for {@code remaining} bytes at {@code rate}, or "" when unknown (no parent snapshot) or done. */
  static String eta(long remaining, double rate) {
    if (remaining <= 0 || rate <= 0) {
      return "";
    }
    return ", ETA " + tandem.core.Durations.format(java.time.Duration.ofSeconds((long) Math.ceil(remaining / rate)));
  }

  @Command(name = "run", description = "Take a snapshot now of the groups' files (on this node), then copy it to copy-to."
      + " When this node's agent runs, the agent takes it and this command follows it.")
  static final class Run implements Callable<Integer> {
    @Mixin Which which;

    @Option(names = "--force", description = "Read every file again, even those the last snapshot describes unchanged"
        + " (size, mtime, ctime and inode); like restic's --force.")
    boolean force;

    @Option(names = "--local", description = "Take the backup in this process even when this node's agent runs (by"
        + " default the agent takes it: its JVM is warm, and the run shows in `tandem events` and the metrics).")
    boolean local;

    @Override
    public Integer call() throws IOException {
      BackupJobs jobs = which.jobs();
      long t0 = System.nanoTime();
      boolean tty = System.console() != null;
      if (!local) {
        Integer viaAgent = throughAgent(jobs.backup().name(), t0, tty);
        if (viaAgent != null) {
          return viaAgent;
        }
      }
      long[] done = {0, 0, 0, 0};
      BackupJobs.RunResult r = jobs.run(new Backup.Progress() {
        @Override
        public void expect(long bytes) {
          done[3] = bytes;
        }

        @Override
        public void file(java.nio.file.Path path, long size) {
          done[0]++;
          done[1] += size;
          long now = System.nanoTime();
          if (tty && now - done[2] > 200_000_000L) {
            done[2] = now;
            progress(done[0], done[1], done[3], t0, now);
          }
        }
      }, force);
      if (tty) {
        System.out.println();
      }
      Backup.Result b = r.result();
      summary(b.snapshotId(), jobs.backup().name(), b.files(), b.bytes(), b.bytesWritten(), t0, b.parent(), b.reusedFiles(),
          b.skipped(), r.copies());
      return 0;
    }

    private static void progress(long files, long bytes, long expected, long t0, long now) {
      double rate = bytes / ((now - t0) / 1e9);
      System.out.print(String.format(Locale.ROOT, "\r  %d files, %s, %s/s%s   ", files, size(bytes), size(rate),
          eta(expected - bytes, rate)));
      System.out.flush();
    }

    private static void summary(String snapshot, String backup, long files, long bytes, long stored, long t0, String parent,
        long reused, List<String> skipped, List<String> copies) {
      System.out.printf(Locale.ROOT, "snapshot %s of %s: %d files, %s read, %s stored (new after dedup and compression), %.1f s%n",
          snapshot.substring(0, 8), backup, files, size(bytes), size(stored), (System.nanoTime() - t0) / 1e9);
      if (parent != null) {
        System.out.printf(Locale.ROOT, "  %d of %d files unchanged since snapshot %s, not read again%n", reused, files,
            parent.substring(0, 8));
      }
      skipped.forEach(s -> System.out.println("  skipped " + s));
      copies.forEach(c -> System.out.println("  copy " + c));
    }

    /**
     * Asks this node's running agent to take the backup and follows the run to its end; null when no agent answers
     * here (the caller then takes it in this process). The agent reads the files and dumps the databases as this
     * command would, on the same node; what differs is a JVM that has run before and a run recorded like a scheduled one.
     */
    private Integer throughAgent(String name, long t0, boolean tty) {
      ApiClient api = new ApiClient(which.loaded);
      if (!api.hasToken()) {
        return null;
      }
      String path = "/api/v1/backups/" + java.net.URLEncoder.encode(name, java.nio.charset.StandardCharsets.UTF_8) + "/run"
          + (force ? "?force=true" : "");
      com.fasterxml.jackson.databind.JsonNode run;
      try {
        run = api.postIfRunning(path);
      } catch (CliException e) {
        throw new CliException(e.code, e.getMessage() + "; or take the backup in this process: `tandem backup run --local`");
      }
      if (run == null) {
        return null;
      }
      String id = run.path("id").asText();
      Thread notice = new Thread(() -> System.err.println("\nstopped following backup " + name + "; this node's agent goes on"
          + " with it: see `tandem events`"));
      Runtime.getRuntime().addShutdownHook(notice);
      try {
        while (run.path("running").asBoolean(true)) {
          // The agent answers as soon as the run ends, or after the wait with its progress (a line every 200 ms on a terminal).
          run = api.get("/api/v1/backups/runs/" + id + "?wait=" + (tty ? "200ms" : "10s"));
          if (tty) {
            progress(run.path("files").asLong(), run.path("bytes").asLong(), run.path("expected").asLong(), t0, System.nanoTime());
          }
        }
      } finally {
        Runtime.getRuntime().removeShutdownHook(notice);
      }
      if (tty) {
        System.out.println();
      }
      if (!run.path("ok").asBoolean()) {
        throw new CliException(1, run.path("error").asText() + "; the previous snapshots are intact");
      }
      summary(run.path("snapshot").asText(), name, run.path("files").asLong(), run.path("bytes").asLong(),
          run.path("stored").asLong(), t0, run.hasNonNull("parent") ? run.path("parent").asText() : null,
          run.path("reusedFiles").asLong(), texts(run.path("skipped")), texts(run.path("copies")));
      System.out.println("  taken by this node's agent (`tandem events` shows the run; --local takes it in this process)");
      return 0;
    }

    private static List<String> texts(com.fasterxml.jackson.databind.JsonNode array) {
      List<String> out = new java.util.ArrayList<>();
      array.forEach(n -> out.add(n.asText()));
      return out;
    }
  }

  @Command(name = "list", description = "List the snapshots in the repository.")
  static final class ListSnapshots implements Callable<Integer> {
    @Mixin Which which;

    @Override
    public Integer call() throws IOException {
      List<Repository.StoredSnapshot> all = which.jobs().list();
      List<String[]> rows = new java.util.ArrayList<>();
      rows.add(new String[] {"ID", "TIME", "HOST", "BACKUP", "SOURCES", "FILES", "SIZE"});
      for (Repository.StoredSnapshot s : all) {
        var snap = s.snapshot();
        rows.add(new String[] {s.id().substring(0, 8), snap.time(), snap.host(), snap.backup(),
            String.join(" ", snap.sources().stream().map(x -> x.group() + ":" + x.path()).toList()),
            Long.toString(snap.files()), size(snap.bytes())});
      }
      System.out.print(Table.render(rows));
      System.out.println(all.size() + " snapshot(s)");
      for (BackupJobs.ArchivedWal w : which.jobs().archivedWal()) {
        System.out.printf(Locale.ROOT, "archived WAL of %s: %d file(s), %s, newest pushed %s (point-in-time recovery:"
            + " `tandem pitr -g %s --to TIME --target DIR`)%n", w.group(), w.files(), size(w.bytes()), w.newest(), w.group());
      }
      return 0;
    }
  }

  @Command(name = "restore", description = {"Restore a snapshot (or one path in it) into a new or empty directory,",
      "or one database dump into a new database on this node's server (--database)."})
  static final class RestoreSnapshot implements Callable<Integer> {
    @Mixin Which which;

    @Parameters(index = "0", description = "snapshot id (or a prefix of it), or latest")
    String snapshot;

    @Parameters(index = "1", arity = "0..1", description = "a path inside the snapshot (default: everything), e.g."
        + " web/postgres-0/shop.pgdump with --database")
    String path = "";

    @Option(names = "--target", description = "directory to restore into (new or empty)")
    Path target;

    @Option(names = "--database", description = "load the dump PATH names into this new database on this node's server"
        + " of that resource (the group's primary)")
    String database;

    @Override
    public Integer call() throws IOException {
      long t0 = System.nanoTime();
      if ((target == null) == (database == null)) {
        throw new CliException(2, "say where to restore: --target DIR (files, or dumps as files) or --database NAME"
            + " (one database dump, e.g. backup restore latest web/postgres-0/shop.pgdump --database shop_copy)");
      }
      if (database != null) {
        BackupJobs.DatabaseRestored r = which.jobs().restoreDatabase(snapshot, path, database);
        System.out.printf(Locale.ROOT, "restored %s/%s (%s) of snapshot %s into the new database %s in %.1f s%n", r.source(),
            r.dump(), size(r.bytes()), r.snapshot().substring(0, 8), r.database(), (System.nanoTime() - t0) / 1e9);
        return 0;
      }
      Restore.Result r = which.jobs().restore(snapshot, path, target.toAbsolutePath());
      System.out.printf(Locale.ROOT, "restored %d files, %s into %s in %.1f s%n", r.files(), size(r.bytes()), target,
          (System.nanoTime() - t0) / 1e9);
      return 0;
    }
  }

  @Command(name = "verify", description = "Check the repository's structure, and read a share of its data.")
  static final class VerifyRepository implements Callable<Integer> {
    @Mixin Which which;

    @Option(names = "--read-data", description = "share of the packs to read whole and check, e.g. 10%% (default: none)")
    String readData = "0";

    @Option(names = "--restore-test", arity = "0..1", fallbackValue = "20",
        description = "also restore N files (default 20) of the latest snapshot into a scratch directory and check them")
    Integer restoreTest;

    @Override
    public Integer call() throws IOException {
      double pct;
      try {
        pct = Double.parseDouble(readData.endsWith("%") ? readData.substring(0, readData.length() - 1) : readData);
      } catch (NumberFormatException e) {
        throw new CliException(2, "--read-data " + readData + " is not a percentage; write e.g. 10%");
      }
      if (pct < 0 || pct > 100) {
        throw new CliException(2, "--read-data " + readData + " must be between 0% and 100%");
      }
      Verify.Report r = which.jobs().verify(pct);
      System.out.printf(Locale.ROOT, "checked %d snapshots, %d packs, %d blobs: every index opens, every pack is there and long"
          + " enough, every snapshot's trees open and name only indexed blobs%n", r.snapshots(), r.packs(), r.blobs());
      if (r.packsRead() > 0) {
        System.out.printf(Locale.ROOT, "read %d packs whole (%s): each hashes to its name, each blob authenticates (AES-GCM) and"
            + " holds the content its id names%n", r.packsRead(), size(r.bytesRead()));
      }
      if (r.unindexedPacks() > 0) {
        System.out.println(r.unindexedPacks() + " pack(s) no index lists (an interrupted backup); `tandem backup prune` removes them");
      }
      List<String> problems = new java.util.ArrayList<>(r.problems());
      if (restoreTest != null) {
        RestoreTest.Report t = which.jobs().restoreTest(restoreTest);
        System.out.printf(Locale.ROOT, "restore test: %d files (%s) of snapshot %s restored into a scratch directory; each has its"
            + " recorded size and cuts into exactly its recorded chunks; %d of them are unchanged on disk since and are byte"
            + " for byte the live files%n", t.files(), size(t.bytes()), t.snapshot().substring(0, 8), t.comparedWithLive());
        for (RestoreTest.DatabaseProof d : t.databases()) {
          if (d.database().equals(tandem.backup.Pitr.BASE)) {
            System.out.printf(Locale.ROOT, "restore test: the base backup of %s (%s) unpacked into a scratch directory started as"
                + " PostgreSQL and reached a consistent state (the start of point-in-time recovery from it)%n", d.source(),
                size(d.dumpBytes()));
            continue;
          }
          boolean pg = d.source().contains("/postgres-");
          System.out.printf(Locale.ROOT, "restore test: database %s of %s (%s dump) restored into a scratch %s by %s; %d tables"
              + " read back, %d rows%n", d.database(), d.source(), size(d.dumpBytes()), pg ? "PostgreSQL" : "MariaDB",
              pg ? "pg_restore" : "the mariadb client", d.tables(), d.rows());
        }
        problems.addAll(t.problems());
      }
      problems.forEach(p -> System.out.println("PROBLEM: " + p));
      System.out.println(problems.isEmpty() ? "no problems found" : problems.size() + " problem(s) found");
      return problems.isEmpty() ? 0 : 1;
    }
  }

  @Command(name = "forget", description = "Remove the snapshots the keep: rules do not keep (restic's rules).")
  static final class Forget implements Callable<Integer> {
    @Mixin Which which;

    @Option(names = "--dry-run", description = "only say what would be removed")
    boolean dryRun;

    @Override
    public Integer call() throws IOException {
      List<Retention.Decision> d = which.jobs().forget(dryRun);
      for (Retention.Decision x : d) {
        System.out.println((x.keep() ? "keep   " : (dryRun ? "would remove " : "remove ")) + x.id().substring(0, 8) + " " + x.time()
            + (x.keep() || !x.reasons().isEmpty() ? " (" + String.join(", ", x.reasons()) + ")" : ""));
      }
      long gone = d.stream().filter(x -> !x.keep()).count();
      System.out.println((dryRun ? "would remove " : "removed ") + gone + " of " + d.size() + " snapshot(s)"
          + (gone > 0 && !dryRun ? "; `tandem backup prune` frees their space" : ""));
      return 0;
    }
  }

  @Command(name = "prune", description = "Free the space of data no snapshot needs any more.")
  static final class PruneRepository implements Callable<Integer> {
    @Mixin Which which;

    @Option(names = "--dry-run", description = "only say what would be freed")
    boolean dryRun;

    @Override
    public Integer call() throws IOException {
      Prune.Result r = which.jobs().prune(dryRun);
      System.out.printf(Locale.ROOT, "%s %s: %d pack(s) deleted, %d rewritten, %d unused blob(s), %d pack(s) of interrupted"
          + " backups%n", dryRun ? "would free" : "freed", size(r.bytesFreed()), r.packsDeleted(), r.packsRewritten(),
          r.blobsRemoved(), r.unindexedRemoved());
      return 0;
    }
  }

  @Command(name = "copy", description = "Copy the snapshots to the copy-to repositories (or --to DIR|s3:...).")
  static final class CopySnapshots implements Callable<Integer> {
    @Mixin Which which;

    @Option(names = "--to", description = "a repository: a directory, s3://BUCKET/PREFIX or s3:https://HOST/BUCKET/PREFIX"
        + " (default: the backup's copy-to)")
    List<String> to;

    @Override
    public Integer call() throws IOException {
      BackupJobs jobs = which.jobs();
      List<RepositoryLocation> targets = to != null ? to.stream().map(CopySnapshots::location).toList()
          : jobs.backup().copyTo();
      if (targets.isEmpty()) {
        throw new CliException(2, "backup " + jobs.backup().name() + " has no copy-to; add copy-to: [/mnt/offsite/tandem] or"
            + " give --to DIR");
      }
      jobs.copy(targets).forEach(System.out::println);
      return 0;
    }

    /** A --to value; a relative directory is taken from the working directory. */
    static RepositoryLocation location(String text) {
      if (!text.startsWith("s3:") && !text.contains("://")) {
        text = Path.of(text).toAbsolutePath().toString();
      }
      try {
        return RepositoryLocation.parse(text);
      } catch (IllegalArgumentException e) {
        throw new CliException(2, "--to " + e.getMessage());
      }
    }
  }
}
