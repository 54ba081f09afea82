package tandem.health;

import java.time.Duration;
import java.time.InstantSource;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Function;
import tandem.config.CheckConfig;
import tandem.core.EventSink;
import tandem.core.Shell;
import tandem.core.Ticker;
import tandem.health.internal.CheckEvents;
import tandem.health.internal.CheckSlot;
import tandem.health.internal.Tally;

/**
 * The runner of one group's health checks: it probes each check at its interval, debounces the
 * outcomes into {@link CheckState}s the way keepalived and HAProxy do, runs fix commands, and
 * tells the agent about every change.
 *
 * <p><b>Debounce.</b> A check starts UNKNOWN. {@code rise} passes in a row make it PASSING;
 * {@code fall} failures in a row (a timeout is a failure) make it FAILING, from UNKNOWN too. When a
 * check with a {@code fix} reaches {@code fall} failures and fewer than {@code fixAttempts} fixes
 * were tried in this failure episode, the fix runs instead, the failure count starts over and the
 * verdict stays as it was. Only when the attempts are used up does the check go FAILING. {@code
 * rise} passes in a row end the episode and make the attempts available again.
 *
 * <p><b>Events.</b> Going FAILING emits "check-failed" (CRITICAL for a critical check, else
 * WARNING); going from FAILING to PASSING emits INFO "check-recovered"; each fix emits WARNING
 * "check-fix" with its result; a check that was not run for far longer than its interval emits
 * WARNING "health-stall".
 *
 * <p><b>Concurrency.</b> One daemon scheduler thread ticks each check at a fixed delay; a tick
 * starts the run on a fresh virtual thread, unless the check's previous run (with its fix) is
 * still in flight, so runs of one check never overlap. Outcomes enter the tallies under one lock.
 * {@code onChange} is called with the new report after every state change, in order, on one
 * daemon notifier thread, never under that lock, so the callback may call {@link #report()} or
 * {@link #stop()}. {@link #stop()} bumps an epoch, so results of runs that were in flight are
 * dropped; those runs are not interrupted (an interrupted {@link Shell#run} would leave its
 * {@code sh} behind) and end within their own timeout. {@link #close()} waits for them.
 */
public final class HealthMonitor implements AutoCloseable {
  private static final Duration FIX_TIMEOUT = Duration.ofSeconds(30);
  private static final Duration STALL_GRACE = Duration.ofSeconds(2);
  private static final Duration KILL_GRACE = Duration.ofSeconds(5);

  private final String group;
  private final List<CheckSlot> slots;
  private final Ticker ticker;
  private final CheckEvents events;
  private final Map<String, String> fixEnv;
  private final Consumer<HealthReport> onChange;
  private final ExecutorService notifier;
  private final Set<Thread> inFlight = ConcurrentHashMap.newKeySet();
  private volatile Thread notifierThread;

  private final Object lock = new Object();
  private ScheduledExecutorService scheduler; // guarded by lock; null when not running
  private int epoch; // guarded by lock; bumped by start and stop
  private boolean closed; // guarded by lock

  /** A monitor of {@code checks} with the generic checks of {@link HealthChecks} and the system clock. */
  public HealthMonitor(String node, String group, List<CheckConfig> checks, Ticker ticker, EventSink events,
      Consumer<HealthReport> onChange) {
    this(node, group, checks, c -> HealthChecks.of(c.target(), Map.of("TANDEM_NODE", node, "TANDEM_GROUP", group)), ticker, InstantSource.system(), events, onChange);
  }

  /**
   * A monitor whose probes come from {@code checkFor} (e.g. a database module's own checks for
   * some configs, {@link HealthChecks#of} for the rest) and whose events carry {@code clock}'s time.
   */
  public HealthMonitor(String node, String group, List<CheckConfig> checks, Function<CheckConfig, HealthCheck> checkFor,
      Ticker ticker, InstantSource clock, EventSink events, Consumer<HealthReport> onChange) {
    this.group = Objects.requireNonNull(group, "group");
    this.slots = checks.stream().map(c -> new CheckSlot(c, checkFor.apply(c))).toList();
    this.ticker = Objects.requireNonNull(ticker, "ticker");
    this.events = new CheckEvents(Objects.requireNonNull(node, "node"), group, clock, events);
    this.fixEnv = Map.of("TANDEM_NODE", node, "TANDEM_GROUP", group);
    this.onChange = Objects.requireNonNull(onChange, "onChange");
    this.notifier = Executors.newSingleThreadExecutor(this::notifierThread);
  }

  /**
   * Schedules every check at its interval, the first run right away.
   *
   * @throws IllegalStateException when already running or closed
   */
  public void start() {
    synchronized (lock) {
      requireState(!closed, "was closed");
      requireState(scheduler == null, "is already running");
      scheduler = Executors.newSingleThreadScheduledExecutor(daemon("tandem-health-" + group));
      int runEpoch = ++epoch;
      for (CheckSlot slot : slots) {
        long every = slot.config().interval().toNanos();
        scheduler.scheduleWithFixedDelay(() -> tick(slot, runEpoch), 0, every, TimeUnit.NANOSECONDS);
      }
    }
  }

  /** Stops scheduling and puts every check back to UNKNOWN, telling {@code onChange} once; no-op when not running. */
  public void stop() {
    ScheduledExecutorService stopped;
    synchronized (lock) {
      if (scheduler == null) {
        return;
      }
      stopped = scheduler;
      stopped.shutdownNow();
      scheduler = null;
      epoch++;
      slots.forEach(CheckSlot::reset);
      publishLocked();
    }
    awaitQuietly(stopped, Duration.ofSeconds(1)); // so no tick starts a run after stop returns
  }

  /** The current status of every check. Thread-safe. */
  public HealthReport report() {
    synchronized (lock) {
      return reportLocked();
    }
  }

  /**
   * Stops, waits for runs in flight (each ends within its timeout, plus 30s when it runs a fix),
   * then up to 5s for pending {@code onChange} calls. The monitor cannot start again.
   */
  @Override
  public void close() {
    stop();
    synchronized (lock) {
      closed = true;
    }
    awaitRuns();
    notifier.shutdown();
    if (Thread.currentThread() != notifierThread) {
      awaitQuietly(notifier, Duration.ofSeconds(5));
    }
  }

  private void tick(CheckSlot slot, int runEpoch) {
    watchForStall(slot);
    if (slot.tryBegin()) {
      Thread run = Thread.ofVirtual()
          .name("tandem-health-" + slot.label())
          .unstarted(() -> runOnce(slot, runEpoch));
      inFlight.add(run);
      run.start();
    }
  }

  private void watchForStall(CheckSlot slot) {
    Duration gap = Duration.ofNanos(slot.tickGap(ticker.nanos()));
    if (gap.compareTo(slot.config().interval().plus(STALL_GRACE)) > 0) {
      events.stalled(slot, gap);
    }
  }

  private void runOnce(CheckSlot slot, int runEpoch) {
    try {
      record(slot, runEpoch, probe(slot));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt(); // nobody interrupts runs today; if someone does, the run is dropped
    } finally {
      slot.end();
      inFlight.remove(Thread.currentThread());
    }
  }

  private static CheckOutcome probe(CheckSlot slot) throws InterruptedException {
    try {
      return slot.check().run(slot.config().timeout());
    } catch (RuntimeException e) {
      return CheckOutcome.fail(slot.check().describe() + " threw " + e);
    }
  }

  private void record(CheckSlot slot, int runEpoch, CheckOutcome outcome) throws InterruptedException {
    Tally.Step step;
    synchronized (lock) {
      if (runEpoch != epoch) {
        return; // the monitor was stopped while this run was in flight
      }
      step = slot.record(outcome);
      if (step instanceof Tally.Step.Turn) {
        publishLocked();
      }
    }
    act(slot, step);
  }

  private void act(CheckSlot slot, Tally.Step step) throws InterruptedException {
    switch (step) {
      case Tally.Step.Stay stay -> {}
      case Tally.Step.Turn turn -> tell(slot, turn);
      case Tally.Step.Fix fix -> runFix(slot, fix);
    }
  }

  private void tell(CheckSlot slot, Tally.Step.Turn turn) {
    CheckState to = turn.tally().state();
    if (to == CheckState.FAILING) {
      events.failed(slot, turn.tally());
    } else if (to == CheckState.PASSING && turn.from() == CheckState.FAILING) {
      events.recovered(slot, turn.tally());
    }
  }

  private void runFix(CheckSlot slot, Tally.Step.Fix fix) throws InterruptedException {
    String command = slot.config().fix().orElseThrow();
    Map<String, String> env = new HashMap<>(fixEnv);
    env.put("TANDEM_CHECK", slot.config().name());
    Shell.Result result = Shell.run(command, env, FIX_TIMEOUT);
    events.fixed(slot, fix.tally(), fix.failures(), result);
  }

  private void publishLocked() {
    if (closed) {
      return;
    }
    HealthReport report = reportLocked();
    notifier.execute(() -> deliver(report));
  }

  private void deliver(HealthReport report) {
    try {
      onChange.accept(report);
    } catch (RuntimeException e) {
      events.callbackFailed(e);
    }
  }

  private HealthReport reportLocked() {
    return new HealthReport(group, slots.stream().map(CheckSlot::status).toList());
  }

  private void awaitRuns() {
    long deadline = ticker.nanos() + longestRun().toNanos();
    try {
      for (Thread run : List.copyOf(inFlight)) {
        run.join(Duration.ofNanos(Math.max(1, deadline - ticker.nanos())));
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private Duration longestRun() {
    return slots.stream()
        .map(s -> s.config().timeout().plus(s.config().fix().isPresent() ? FIX_TIMEOUT : Duration.ZERO))
        .max(Duration::compareTo)
        .orElse(Duration.ZERO)
        .plus(KILL_GRACE);
  }

  private static void awaitQuietly(ExecutorService executor, Duration timeout) {
    try {
      executor.awaitTermination(timeout.toNanos(), TimeUnit.NANOSECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private Thread notifierThread(Runnable r) {
    Thread t = daemon("tandem-health-notify-" + group).newThread(r);
    notifierThread = t;
    return t;
  }

  private static ThreadFactory daemon(String name) {
    return Thread.ofPlatform().name(name).daemon().factory();
  }

  private void requireState(boolean ok, String problem) {
    if (!ok) {
      throw new IllegalStateException("health monitor of group " + group + " " + problem);
    }
  }
}
