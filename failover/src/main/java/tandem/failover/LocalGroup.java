package tandem.failover;

import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tandem.core.Event;
import tandem.core.EventSink;
import tandem.core.Level;
import tandem.core.Role;
import tandem.core.Shell;
import tandem.failover.fencing.Watchdog;
import tandem.health.HealthMonitor;
import tandem.health.HealthReport;
import tandem.resource.FenceStep;
import tandem.resource.Hook;
import tandem.resource.ResourceChain;
import tandem.resource.ResourceException;
import tandem.resource.RoleChange;

/**
 * One group's resources on this node: starts them on promotion, stops them on demotion or when
 * the lease lapses, one step at a time on the group's own thread, and keeps the watchdog's fence
 * plan current. Service-scope health checks run only while the resources run.
 */
public final class LocalGroup implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(LocalGroup.class);

  private final String node;
  private final String name;
  private final ResourceChain chain;
  private final Optional<Hook> onPromote;
  private final Optional<Hook> onDemote;
  private final HealthMonitor serviceChecks;
  private final HealthMonitor nodeChecks;
  private final Watchdog watchdog;
  private final EventSink events;
  private final ExecutorService worker;
  private volatile Phase phase = Phase.STOPPED;
  private volatile long epoch;
  private volatile String failure = "";
  private volatile java.util.function.LongSupplier position = () -> 0;
  private volatile long maxLag;
  private volatile String lagUnit;
  private volatile long maxLagMillis;
  private volatile int failures;

  public LocalGroup(String node, String name, ResourceChain chain, Optional<Hook> onPromote, Optional<Hook> onDemote,
      HealthMonitor serviceChecks, HealthMonitor nodeChecks, Watchdog watchdog, EventSink events) {
    this.node = node;
    this.name = name;
    this.chain = chain;
    this.onPromote = onPromote;
    this.onDemote = onDemote;
    this.serviceChecks = serviceChecks;
    this.nodeChecks = nodeChecks;
    this.watchdog = watchdog;
    this.events = events;
    this.worker = Executors.newSingleThreadExecutor(r -> new Thread(r, "group-" + name));
    nodeChecks.start();
  }

  public String name() {
    return name;
  }

  public Phase phase() {
    return phase;
  }

  /** The epoch under which the resources were started (meaningful while STARTING/RUNNING). */
  public long epoch() {
    return epoch;
  }

  /** True when the resources run, or are being started, under {@code e}. */
  public boolean activeUnder(long e) {
    return (phase == Phase.STARTING || phase == Phase.RUNNING) && epoch == e;
  }

  /** The health of this node for the group: node checks always, service checks while running. */
  public HealthReport health() {
    List<tandem.health.CheckStatus> all = new ArrayList<>(nodeChecks.report().checks());
    all.addAll(serviceChecks.report().checks());
    return new HealthReport(name, all);
  }

  /**
   * Makes the group's database position part of this node's reports, for the choice of a
   * candidate: {@code position} must answer at once (a cached value), 0 when unknown.
   */
  public void trackDatabase(java.util.function.LongSupplier position, long maxLag) {
    trackDatabase(position, "bytes of WAL", maxLag, java.time.Duration.ZERO);
  }

  /**
   * As {@link #trackDatabase(java.util.function.LongSupplier, long)}, naming what a position
   * counts ({@code unit}) and limiting the lag either in positions ({@code maxLag}) or in time
   * ({@code maxLagTime}); zero for no limit of that kind.
   */
  public void trackDatabase(java.util.function.LongSupplier position, String unit, long maxLag, java.time.Duration maxLagTime) {
    this.position = position;
    this.lagUnit = unit;
    this.maxLag = maxLag;
    this.maxLagMillis = maxLagTime.toMillis();
  }

  /** The database position to report; 0 when unknown or the group has none. */
  public long position() {
    return Math.max(0, position.getAsLong());
  }

  /** The group's max-lag-on-failover on this node in positions; 0 for no limit. */
  public long maxLag() {
    return maxLag;
  }

  /** What a position counts ("bytes of WAL", "transactions"); null without a database. */
  public String lagUnit() {
    return lagUnit;
  }

  /** The group's max-lag-on-failover on this node in time (millis); 0 for no limit. */
  public long maxLagMillis() {
    return maxLagMillis;
  }

  /** Why the last start failed, or "". */
  public String failure() {
    return failure;
  }

  /** How many starts failed in a row (0 once one succeeds or the node is no longer primary). */
  public int failures() {
    return failures;
  }

  /** The watchdog steps that stop this group, for a demotion from primary. */
  List<FenceStep> fenceSteps(long e) {
    RoleChange change = new RoleChange(node, name, Role.REPLICA, Role.PRIMARY, e);
    List<FenceStep> steps = new ArrayList<>(chain.fenceSteps(change));
    onDemote.ifPresent(h -> steps.add(h.fenceStep(change)));
    return steps;
  }

  /** Starts the resources as primary under {@code e}, after giving the watchdog their stop plan. */
  public void promote(long e) {
    if (activeUnder(e)) {
      return;
    }
    phase = Phase.STARTING;
    epoch = e;
    worker.execute(() -> doPromote(e));
  }

  private void doPromote(long e) {
    RoleChange change = new RoleChange(node, name, Role.PRIMARY, Role.REPLICA, e);
    try {
      watchdog.plan(name, fenceSteps(e));
      chain.start(change);
      if (phase != Phase.STARTING || epoch != e) {
        return;
      }
      phase = Phase.RUNNING;
      failure = "";
      failures = 0;
      serviceChecks.start();
      emit(Level.WARNING, "promoted", node + " is now primary of " + name + " (epoch " + e + "); resources started");
      onPromote.ifPresent(h -> runHook(h, change));
    } catch (ResourceException | IOException ex) {
      failures++;
      phase = Phase.FAILED;
      failure = ex.getMessage();
      emit(Level.CRITICAL, "start-failed", "could not start " + name + " on " + node + ": " + ex.getMessage()
          + "; resources stopped again, the node reports itself unfit");
    } catch (InterruptedException ex) {
      Thread.currentThread().interrupt();
    }
  }

  /**
   * Stops the resources; {@code why} says why (demoted, handover, lease lapsed). Runs {@code after}
   * on the group's thread once they are stopped (e.g. release the group to a switchover target).
   */
  public void demote(String why, Level level, Runnable after) {
    if (phase == Phase.STOPPED || phase == Phase.FAILED) {
      worker.execute(after);
      return;
    }
    long e = epoch;
    phase = Phase.STOPPING;
    worker.execute(() -> doDemote(e, why, level, after));
  }

  private void doDemote(long e, String why, Level level, Runnable after) {
    RoleChange change = new RoleChange(node, name, Role.REPLICA, Role.PRIMARY, e);
    serviceChecks.stop();
    String result = "resources stopped";
    try {
      chain.stop(change);
    } catch (ResourceException ex) {
      result = "stopping failed: " + ex.getMessage();
    } catch (InterruptedException ex) {
      Thread.currentThread().interrupt();
      return;
    }
    onDemote.ifPresent(h -> runHook(h, change));
    try {
      watchdog.disarm(name);
    } catch (IOException ex) {
      LOG.warn("could not disarm the watchdog for {}: {}", name, ex.getMessage());
    }
    phase = Phase.STOPPED;
    emit(level, "demoted", node + " stopped " + name + " (" + why + "); " + result);
    after.run();
  }

  /** After a failed start, makes the node fit to try again (e.g. once a new epoch is decided). */
  public void resetFailure() {
    if (phase == Phase.FAILED) {
      phase = Phase.STOPPED;
    }
    failures = 0;
  }

  private void runHook(Hook h, RoleChange change) {
    try {
      Shell.Result r = h.run(change);
      if (!r.ok()) {
        emit(Level.WARNING, "hook-failed", h.name() + " hook '" + h.command() + "' of " + name + " failed: " + r.summary());
      }
    } catch (InterruptedException ex) {
      Thread.currentThread().interrupt();
    }
  }

  private void emit(Level level, String kind, String message) {
    events.emit(new Event(Instant.now(), level, kind, node, name, message));
  }

  @Override
  public void close() throws InterruptedException {
    serviceChecks.close();
    nodeChecks.close();
    worker.shutdown();
    worker.awaitTermination(5, TimeUnit.MINUTES);
  }
}
