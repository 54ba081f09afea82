package tandem.backup;

import com.cronutils.model.CronType;
import com.cronutils.model.definition.CronDefinitionBuilder;
import com.cronutils.model.time.ExecutionTime;
import com.cronutils.parser.CronParser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Predicate;
import tandem.config.BackupConfig;
import tandem.config.TandemConfig;
import tandem.core.Event;
import tandem.core.EventSink;
import tandem.core.Level;

/**
 * Runs the configured backups on their schedules, on the node the cluster state designates (see
 * {@link #runsHere}), then applies the keep rules. Every run is an event: {@code backup-done}, or
 * {@code backup-failed} (critical, so alerts fire); a run that should have happened while this
 * node was down is a {@code backup-missed} warning and is taken at once. What the last run did is
 * kept under {@code data-dir/backups/<name>.last} and shown by {@link #status}.
 */
public final class BackupScheduler implements AutoCloseable {
  private static final CronParser CRON = new CronParser(CronDefinitionBuilder.instanceDefinitionFor(CronType.UNIX));

  private final TandemConfig config;
  private final String self;
  private final Predicate<BackupConfig> designated;
  private final EventSink events;
  private final Clock clock;
  private final Path stateDir;
  private final Map<String, LastRun> last = new ConcurrentHashMap<>();
  private final Map<String, long[]> counts = new ConcurrentHashMap<>();
  private volatile boolean stopped;
  /** Counted down once the runs missed while the node was down have been looked at (for tests). */
  final java.util.concurrent.CountDownLatch caughtUp = new java.util.concurrent.CountDownLatch(1);
  private Thread thread;

  /** What the newest run of a backup did on this node. */
  public record LastRun(String backup, Instant at, boolean ok, String snapshot, long files, long bytes, long stored,
      double seconds, String message) {}

  /**
   * @param designated tells whether this node should take a backup now (from the cluster state)
   */
  public BackupScheduler(TandemConfig config, String self, Predicate<BackupConfig> designated, EventSink events, Clock clock) {
    this.config = config;
    this.self = self;
    this.designated = designated;
    this.events = events;
    this.clock = clock;
    this.stateDir = config.node().dataDir().resolve("backups");
  }

  /**
   * Whether a node takes a backup: with {@code run-on: primary} the group's primary does; with
   * {@code replica}, the first (by name) healthy replica does, and the primary only when there is
   * none, so the primary's disk and CPU are spared when they can be.
   */
  public static boolean runsHere(BackupConfig.RunOn runOn, String self, String primary, List<String> healthyReplicas) {
    if (runOn == BackupConfig.RunOn.REPLICA && !healthyReplicas.isEmpty()) {
      return healthyReplicas.stream().sorted().findFirst().orElseThrow().equals(self);
    }
    return self.equals(primary);
  }

  public void start() {
    if (config.backups().isEmpty()) {
      return;
    }
    thread = Thread.ofPlatform().daemon().name("backup-scheduler").start(this::loop);
  }

  /**
   * What the scheduled runs of a backup did on this node since the agent started, for /metrics.
   *
   * @param lastSuccess the newest successful run on this node, also from before the agent started; null when none
   */
  public record Totals(String backup, long succeeded, long failed, LastRun last, Instant lastSuccess) {}

  /** Totals per configured backup, in file order. */
  public List<Totals> totals() {
    List<Totals> out = new java.util.ArrayList<>();
    for (BackupConfig b : config.backups().values()) {
      long[] c = counts.getOrDefault(b.name(), new long[2]);
      out.add(new Totals(b.name(), c[0], c[1], last.get(b.name()), lastSuccess(b).orElse(null)));
    }
    return out;
  }

  public List<LastRun> status() {
    return config.backups().keySet().stream().map(last::get).filter(java.util.Objects::nonNull).toList();
  }

  /** The next time {@code b} is due after {@code after}. */
  static Optional<ZonedDateTime> next(BackupConfig b, ZonedDateTime after) {
    return ExecutionTime.forCron(CRON.parse(b.schedule())).nextExecution(after);
  }

  static Optional<ZonedDateTime> previous(BackupConfig b, ZonedDateTime before) {
    return ExecutionTime.forCron(CRON.parse(b.schedule())).lastExecution(before);
  }

  private void loop() {
    Map<String, ZonedDateTime> due = new ConcurrentHashMap<>();
    ZonedDateTime now = ZonedDateTime.now(clock);
    for (BackupConfig b : config.backups().values()) {
      Optional<Instant> done = lastSuccess(b);
      Optional<ZonedDateTime> prev = previous(b, now);
      if (done.isPresent() && prev.isPresent() && done.get().isBefore(prev.get().toInstant()) && designated.test(b)) {
        events.emit(new Event(Instant.now(clock), Level.WARNING, "backup-missed", self, String.join(",", b.groups()),
            "backup " + b.name() + " was due at " + prev.get() + " while this node was down (last success " + done.get()
                + "); taking it now"));
        runOnce(b);
      }
      next(b, now).ifPresent(t -> due.put(b.name(), t));
    }
    caughtUp.countDown();
    while (!stopped) {
      try {
        ZonedDateTime t = ZonedDateTime.now(clock);
        for (BackupConfig b : config.backups().values()) {
          ZonedDateTime when = due.get(b.name());
          if (when != null && !t.isBefore(when)) {
            if (designated.test(b)) {
              runOnce(b);
            }
            next(b, ZonedDateTime.now(clock)).ifPresent(n -> due.put(b.name(), n));
          }
        }
        long sleep = due.values().stream().mapToLong(d -> Duration.between(ZonedDateTime.now(clock), d).toMillis()).min()
            .orElse(60_000);
        Thread.sleep(Math.max(100, Math.min(sleep, 30_000)));
      } catch (InterruptedException e) {
        return;
      } catch (RuntimeException e) {
        events.emit(new Event(Instant.now(clock), Level.WARNING, "backup-failed", self, "", "the backup scheduler: " + e));
      }
    }
  }

  /** Takes backup {@code b} now, then forgets what its keep rules do not keep; never throws. */
  public LastRun runOnce(BackupConfig b) {
    return take(b, Backup.Progress.NONE, false, true, null).run();
  }

  /** A run's record and, when it succeeded, what it stored (null otherwise). */
  private record Taken(LastRun run, BackupJobs.RunResult result) {}

  /**
   * Takes backup {@code b}, forgets what its keep rules do not keep when {@code forget}, and records the run (event,
   * counts, the last success); never throws. {@code asked} names who asked for a run off the schedule, else null.
   */
  private Taken take(BackupConfig b, Backup.Progress progress, boolean rereadAll, boolean forget, String asked) {
    String group = String.join(",", b.groups());
    long t0 = System.nanoTime();
    BackupJobs jobs = new BackupJobs(config, b);
    LastRun run;
    BackupJobs.RunResult r = null;
    try {
      r = jobs.run(progress, rereadAll);
      long forgotten = forget ? jobs.forget(false).stream().filter(x -> !x.keep()).count() : 0;
      double s = (System.nanoTime() - t0) / 1e9;
      Backup.Result res = r.result();
      run = new LastRun(b.name(), Instant.now(clock), true, res.snapshotId(), res.files(), res.bytes(), res.bytesWritten(), s,
          String.format(Locale.ROOT, "backup %s%s: snapshot %s, %d files, %d bytes read, %d stored, %.1f s%s%s%s", b.name(),
              asked == null ? "" : " (" + asked + ")", res.snapshotId().substring(0, 8), res.files(), res.bytes(),
              res.bytesWritten(), s, forget ? "; " + forgotten + " old snapshot(s) forgotten" : "",
              r.copies().isEmpty() ? "" : "; " + String.join("; ", r.copies()),
              res.skipped().isEmpty() ? "" : "; skipped: " + String.join("; ", res.skipped())));
      events.emit(new Event(Instant.now(clock), Level.INFO, "backup-done", self, group, run.message()));
      remember(b, run);
    } catch (IOException | RuntimeException e) {
      double s = (System.nanoTime() - t0) / 1e9;
      run = new LastRun(b.name(), Instant.now(clock), false, "", 0, 0, 0, s, "backup " + b.name()
          + (asked == null ? "" : " (" + asked + ")") + " failed: " + e.getMessage());
      // A scheduled run that fails has nobody watching: critical, so alerts fire. One asked for is reported to whoever asked.
      events.emit(new Event(Instant.now(clock), asked == null ? Level.CRITICAL : Level.WARNING, "backup-failed", self, group,
          run.message() + "; the previous snapshots are intact"));
      r = null;
    }
    last.put(b.name(), run);
    int slot = run.ok() ? 0 : 1;
    counts.compute(b.name(), (k, c) -> {
      long[] n = c == null ? new long[2] : c.clone();
      n[slot]++;
      return n;
    });
    return new Taken(run, r);
  }

  /** How long a requested run's outcome stays readable after it ends. */
  public static final Duration KEPT = Duration.ofMinutes(10);
  private final Map<String, Requested> requested = new ConcurrentHashMap<>();

  /**
   * Starts backup {@code name} now, on this node, on a thread of its own, as {@code tandem backup run} asks the agent
   * to: no keep rules are applied (as in the command), and the run is recorded like a scheduled one (event, metrics).
   * {@code rereadAll} reads every file (the command's --force).
   *
   * @throws IllegalArgumentException when this node's tandem.yaml, as the agent read it, has no such backup
   */
  public Requested request(String name, boolean rereadAll) {
    BackupConfig b = config.backups().get(name);
    if (b == null) {
      throw new IllegalArgumentException("the running agent has no backup '" + name + "' (backups: " + config.backups().keySet()
          + "); it reads tandem.yaml when it starts: restart it after adding one, or run `tandem backup run --local`");
    }
    Instant now = Instant.now(clock);
    requested.values().removeIf(r -> r.ended != null && r.ended.plus(KEPT).isBefore(now));
    Requested r = new Requested(java.util.UUID.randomUUID().toString(), name, now);
    requested.put(r.id, r);
    Thread.ofPlatform().daemon().name("backup-asked-" + name).start(() -> {
      Taken t = take(b, r, rereadAll, false, "asked by tandem backup run");
      r.finish(t.run(), t.result(), Instant.now(clock));
    });
    return r;
  }

  /** A run {@link #request} started, while it runs and for {@link #KEPT} after it ends. */
  public Optional<Requested> requested(String id) {
    return Optional.ofNullable(requested.get(id));
  }

  /** A backup run asked for through the agent: its progress while it runs, then what it did. */
  public static final class Requested implements Backup.Progress {
    private final String id;
    private final String backup;
    private final Instant started;
    private final java.util.concurrent.atomic.AtomicLong files = new java.util.concurrent.atomic.AtomicLong();
    private final java.util.concurrent.atomic.AtomicLong bytes = new java.util.concurrent.atomic.AtomicLong();
    private volatile long expected;
    private volatile Instant ended;
    private volatile LastRun run;
    private volatile BackupJobs.RunResult result;
    private final java.util.concurrent.CountDownLatch over = new java.util.concurrent.CountDownLatch(1);

    Requested(String id, String backup, Instant started) {
      this.id = id;
      this.backup = backup;
      this.started = started;
    }

    public String id() {
      return id;
    }

    @Override
    public void expect(long parentBytes) {
      expected = parentBytes;
    }

    @Override
    public void file(Path path, long size) {
      files.incrementAndGet();
      bytes.addAndGet(size);
    }

    void finish(LastRun run, BackupJobs.RunResult result, Instant at) {
      this.result = result;
      this.run = run;
      this.ended = at;
      over.countDown();
    }

    /** Waits up to {@code wait} for the run to end; true when it has. */
    public boolean awaitEnd(Duration wait) throws InterruptedException {
      return over.await(wait.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
    }

    /**
     * The run as the API shows it: id, backup, running, files and bytes read so far, expected (the parent snapshot's
     * bytes, 0 without one); once ended: ok, seconds, and snapshot, stored, reusedFiles, parent, skipped, copies, or
     * error.
     */
    public Map<String, Object> view() {
      Map<String, Object> v = new java.util.LinkedHashMap<>();
      LastRun done = run;
      BackupJobs.RunResult res = result;
      v.put("id", id);
      v.put("backup", backup);
      v.put("started", started.toString());
      v.put("running", done == null);
      v.put("files", files.get());
      v.put("bytes", bytes.get());
      v.put("expected", expected);
      if (done != null) {
        v.put("ok", done.ok());
        v.put("seconds", done.seconds());
        if (res != null) {
          Backup.Result b = res.result();
          v.put("snapshot", b.snapshotId());
          v.put("files", b.files());
          v.put("bytes", b.bytes());
          v.put("stored", b.bytesWritten());
          v.put("reusedFiles", b.reusedFiles());
          v.put("parent", b.parent());
          v.put("skipped", b.skipped());
          v.put("copies", res.copies());
        } else {
          v.put("error", done.message());
        }
      }
      return v;
    }
  }

  private Optional<Instant> lastSuccess(BackupConfig b) {
    try {
      Path f = stateDir.resolve(b.name() + ".last");
      return Files.exists(f) ? Optional.of(Instant.parse(Files.readString(f).trim())) : Optional.empty();
    } catch (IOException | RuntimeException e) {
      return Optional.empty();
    }
  }

  private void remember(BackupConfig b, LastRun run) {
    try {
      Durable.write(stateDir.resolve(b.name() + ".last"), run.at().toString().getBytes(java.nio.charset.StandardCharsets.UTF_8));
    } catch (IOException e) {
      // Only the missed-run check needs it; the next run writes it again.
    }
  }

  @Override
  public void close() throws InterruptedException {
    stopped = true;
    if (thread != null) {
      thread.interrupt();
      thread.join(10_000);
    }
  }
}
