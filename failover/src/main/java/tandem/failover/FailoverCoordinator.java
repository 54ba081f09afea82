package tandem.failover;

import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tandem.cluster.Cluster;
import tandem.cluster.ClusterCommand;
import tandem.cluster.ClusterState;
import tandem.cluster.CommandResult;
import tandem.cluster.GroupState;
import tandem.cluster.Member;
import tandem.cluster.NodeReport;
import tandem.core.Event;
import tandem.core.EventSink;
import tandem.core.Level;
import tandem.core.Mode;
import tandem.core.Ticker;
import tandem.failover.fencing.Watchdog;
import tandem.health.HealthReport;

/**
 * Carries out failover on one node. Every tick (and after every applied command) it does two
 * jobs:
 *
 * <ul>
 *   <li>As the group's primary: renew the lease through Raft, start the resources once the lease
 *       is held, re-arm the watchdog, hand over on a switchover, and stop everything if the lease
 *       lapses (when the other voters could elect someone else without this node).
 *   <li>As Raft leader: observe every group and carry out {@link FailoverPolicy#decide}. The
 *       leader measures the primary's silence on its own monotonic clock from the moment it saw
 *       the last renewal applied (as a follower too: see {@link #seen}); a promotion names the
 *       renewal count it saw, so one that lands in between cancels it.
 * </ul>
 *
 * Decisions are pure ({@link FailoverPolicy}); this class only observes and acts.
 */
public final class FailoverCoordinator implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(FailoverCoordinator.class);
  private static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(5);
  /** A moving database position is reported at most this often (each report is a Raft command). */
  private static final long POSITION_EVERY_MILLIS = 500;

  private final String self;
  private final Cluster cluster;
  private final LeaseTiming timing;
  private final Map<String, LocalGroup> groups;
  private final Ticker ticker;
  private final EventSink events;
  private final Watchdog watchdog;
  private final ScheduledExecutorService loop = Executors.newSingleThreadScheduledExecutor(r -> {
    Thread t = new Thread(r, "failover-loop");
    t.setDaemon(true);
    return t;
  });

  /**
   * When this node first applied each group's current (epoch, renewals): always at or after the
   * moment the primary sent that renewal, so a lease counted from here never ends too early.
   * Kept on every node, so that a follower elected leader knows how long each primary has been silent.
   */
  private final Map<String, Seen> seen = new ConcurrentHashMap<>();
  /** Leader-side: since when each node has been alive and passing, per group. */
  private final Map<String, Long> healthySince = new ConcurrentHashMap<>();
  private final Map<String, String> lastDecision = new ConcurrentHashMap<>();
  private final Map<String, Class<?>> lastKind = new ConcurrentHashMap<>();
  private final Set<String> inflight = ConcurrentHashMap.newKeySet();
  private final Map<String, Lease> leases = new ConcurrentHashMap<>();
  private final Map<String, NodeReport> lastReport = new ConcurrentHashMap<>();
  /** Replica-side, per group with a time limit: see {@link #behindSince}. */
  private final Map<String, Long> behindSince = new ConcurrentHashMap<>();
  /** Per group: this node's last position and the wall-clock time it was first seen. */
  private final Map<String, long[]> positionSince = new ConcurrentHashMap<>();
  private final Map<String, Long> heartbeats = new ConcurrentHashMap<>();
  /** Primary-side: the next attempt of each group whose start failed here, and its wall-clock time for status. */
  private final Map<String, StartRetry> retries = new ConcurrentHashMap<>();
  private final Map<String, java.time.Instant> retryAt = new ConcurrentHashMap<>();
  /**
   * After a start failed here, or a critical check failed here, and the group moved away: until when this node reports
   * itself unfit for the group (the same backoff as a retry: 5 s, doubling to 5 min with each failure here in a row),
   * and why. Without it a group that cannot start, or whose critical check fails, on every node would move back and
   * forth as fast as the starts or the checks fail (a service check is not run where the service is stopped, so the
   * node it left looks fit again at once).
   */
  private final Map<String, Cooldown> cooldowns = new ConcurrentHashMap<>();
  /** Failures of a group here in a row, failed starts and critical checks (reset once it runs here with them passing). */
  private final Map<String, Integer> failedHere = new ConcurrentHashMap<>();
  /** Per group being handed over from here while a critical check fails here: the checks' summary at that moment. */
  private final Map<String, String> leftFailing = new ConcurrentHashMap<>();
  private volatile Duration retryFirst = StartRetry.FIRST;
  private volatile Duration retryMax = StartRetry.MAX;
  private volatile boolean wasLeader;

  private record Seen(long epoch, long renewals, long atNanos) {}

  /**
   * This node's lease on a group: valid until {@code untilNanos}; renewal in flight or not;
   * {@code confirmed} once a renewal under this epoch committed in this agent's lifetime.
   */
  private record Lease(long epoch, long untilNanos, long lastSentNanos, boolean renewing, boolean confirmed) {}

  public FailoverCoordinator(String self, Cluster cluster, LeaseTiming timing, Map<String, LocalGroup> groups,
      Ticker ticker, EventSink events, Watchdog watchdog) {
    this.self = self;
    this.cluster = cluster;
    this.timing = timing;
    this.groups = Map.copyOf(groups);
    this.ticker = ticker;
    this.events = events;
    this.watchdog = watchdog;
  }

  public void start() {
    cluster.addListener((before, cmd, result, after) -> {
      noteChange(after);
      if (!loop.isShutdown()) {
        try {
          loop.execute(this::tick);
        } catch (java.util.concurrent.RejectedExecutionException closing) {
          // the agent stops: a command applied meanwhile (its own release) needs no tick
        }
      }
    });
    loop.scheduleWithFixedDelay(this::tick, 0, 100, TimeUnit.MILLISECONDS);
  }

  /** The leader's last decision sentence per group (empty on followers). */
  public Map<String, String> decisions() {
    return Map.copyOf(lastDecision);
  }

  /** This node's lease on a group: remaining time, or null when it holds none. */
  public Duration leaseRemaining(String group) {
    Lease l = leases.get(group);
    if (l == null) {
      return null;
    }
    long left = l.untilNanos - ticker.nanos();
    return left > 0 ? Duration.ofNanos(left) : Duration.ZERO;
  }

  /**
   * The group's lease as this node sees it from the replicated renewals: the lease minus the time since this node
   * applied the last renewal (or change of primary); null when it has seen none. Followers apply a little after the
   * leader, so this is an estimate; the leader's own count decides.
   */
  public Duration leaseSeen(String group) {
    Seen at = seen.get(group);
    if (at == null) {
      return null;
    }
    Duration left = timing.lease().minus(Duration.ofNanos(ticker.nanos() - at.atNanos));
    return left.isNegative() ? Duration.ZERO : left;
  }

  private void tick() {
    try {
      ClusterState s = cluster.state();
      if (!s.bootstrapped()) {
        return;
      }
      boolean leader = cluster.isLeaderReady();
      if (leader && !wasLeader) {
        // The silence of each primary keeps counting from when this node, as a follower, applied
        // its last renewal: every committed renewal is applied here before Ratis calls this node
        // a ready leader, so no renewal the primary was acknowledged can be newer than what
        // `seen` holds. A leader that died with its group's primary is then replaced as fast as
        // a primary alone. Health durations start again: they were not watched as a follower.
        healthySince.clear();
      }
      wasLeader = leader;
      if (leader) {
        leaderDuties(s);
      } else {
        lastDecision.clear();
      }
      for (LocalGroup g : groups.values()) {
        primaryDuties(s, g);
        report(s, g);
      }
    } catch (RuntimeException e) {
      LOG.error("failover tick failed; please report it as a bug", e);
    }
  }

  // ---- leader side -------------------------------------------------------------------------

  private void noteChange(ClusterState s) {
    long now = ticker.nanos();
    for (GroupState g : s.groups().values()) {
      seen.compute(g.name(), (k, old) -> old != null && old.epoch == g.epoch() && old.renewals == g.renewals()
          ? old : new Seen(g.epoch(), g.renewals(), now));
    }
  }

  private void leaderDuties(ClusterState s) {
    noteChange(s);
    Map<String, Duration> silence = cluster.peerSilence();
    for (GroupState g : s.groups().values()) {
      Observation o = observe(s, g, silence);
      Decision d = FailoverPolicy.decide(o);
      String previous = lastDecision.put(g.name(), d.why());
      Class<?> previousKind = lastKind.put(g.name(), d.getClass());
      boolean kindChanged = d.getClass() != previousKind;
      if (kindChanged || d instanceof Decision.Stay && !d.why().equals(previous)) {
        LOG.info("group {}: {}", g.name(), d.why());
        noteDecision(g, d, true);
      } else if (d instanceof Decision.Stay && !d.why().equals(g.decision())) {
        noteDecision(g, d, false); // the note of this sentence was lost (e.g. timed out while a new leader settled)
      }
      act(g, d, kindChanged);
    }
  }

  Observation observe(ClusterState s, GroupState g, Map<String, Duration> silence) {
    long now = ticker.nanos();
    Seen seenAt = seen.get(g.name());
    Duration since = seenAt == null ? Duration.ZERO : Duration.ofNanos(now - seenAt.atNanos);
    List<Candidate> candidates = new ArrayList<>();
    NodeReport pr = g.primary() == null ? null : s.report(g.primary(), g.name());
    long primaryPosition = pr == null ? 0 : pr.position();
    for (Member m : s.dataVoters()) {
      Mode mode = Objects.requireNonNullElse(Mode.parse(g.modeOf(m.name())), Mode.OFF);
      boolean alive = m.name().equals(self) || silence.getOrDefault(m.name(), Duration.ofDays(1)).compareTo(timing.lease().dividedBy(2)) < 0;
      NodeReport r = s.report(m.name(), g.name());
      boolean fit = alive && r != null && r.passing();
      String key = g.name() + "/" + m.name();
      if (fit) {
        healthySince.putIfAbsent(key, now);
      } else {
        healthySince.remove(key);
      }
      Duration healthy = fit ? Duration.ofNanos(now - healthySince.get(key)) : Duration.ZERO;
      long position = r == null || r.position() <= 0 ? -1 : r.position();
      long lag = position < 0 || primaryPosition <= 0 ? -1 : Math.max(0, primaryPosition - position);
      String unit = r == null || r.lagUnit() == null ? "positions" : r.lagUnit();
      candidates.add(new Candidate(m.name(), mode, alive, r != null, r != null && r.passing(), r == null ? 0 : r.weight(), healthy,
          position, lag, r == null ? 0 : r.maxLag(), unit, timeLag(pr, r), r == null ? 0 : r.maxLagMillis()));
    }
    // Critical: a failing critical check, or a start that failed (the node then reports itself unfit).
    boolean critical = pr != null && pr.criticalFailing();
    return new Observation(g.name(), g.primary(), g.paused(), g.switchoverTo(), candidates, since, critical,
        "auto".equals(g.failback()), Duration.ofMillis(g.failbackAfterMillis()), s.voters().size(), timing,
        g.epoch() == 0, g.modes().entrySet().stream().filter(e -> e.getValue().equals("primary"))
            .map(Map.Entry::getKey).findFirst().orElse(null));
  }

  /**
   * How far behind in time a node was, judged only from reports made while the primary reported:
   * from when the primary wrote the first position the node lacked to when it wrote its last
   * reported one, both on the primary's clock (so no clocks are compared), so it stops growing when
   * the primary dies or idles. It is the age of the oldest write the node lacks, short by up to a
   * report interval. 0
   * when it has all the primary reported, or had at its own last report (what it lacks is newer
   * than that); {@link Candidate#NEVER_CAUGHT_UP}; -1 when unknown or not limited.
   */
  static long timeLag(NodeReport primary, NodeReport r) {
    if (r == null || r.maxLagMillis() <= 0 || primary == null || primary.position() <= 0 || r.position() <= 0) {
      return -1;
    }
    if (r.position() >= primary.position() || r.behindSinceMillis() == 0) {
      return 0;
    }
    return r.behindSinceMillis() > 0 ? Math.max(0, wroteAt(primary) - r.behindSinceMillis()) : Candidate.NEVER_CAUGHT_UP;
  }

  /** When the primary wrote its reported position (reports without a new position do not move it); on its clock. */
  private static long wroteAt(NodeReport primary) {
    return primary.positionMillis() > 0 ? primary.positionMillis() : primary.atMillis();
  }

  private void act(GroupState g, Decision d, boolean kindChanged) {
    switch (d) {
      case Decision.Promote p -> submitOnce(g.name(), new ClusterCommand.Promote(g.name(), p.node(), g.epoch(),
          g.renewals(), p.why(), System.currentTimeMillis()));
      case Decision.Switchover sw -> submitOnce(g.name(), new ClusterCommand.RequestSwitchover(g.name(), sw.node(),
          sw.why(), System.currentTimeMillis()));
      case Decision.Stuck st -> {
        // Once per episode: the sentence itself changes every tick (it counts the silence).
        if (kindChanged) {
          emit(Level.CRITICAL, "failover-impossible", g.name(), st.why());
        }
      }
      case Decision.Wait w -> { }
      case Decision.Stay st -> { }
    }
  }

  /**
   * Replicates the sentence so that `status` on every node can show it (it is rare: only when it changes). Unless
   * {@code now}, not while an earlier note of the group is still on its way.
   */
  private void noteDecision(GroupState g, Decision d, boolean now) {
    if (d.why().equals(g.decision())) {
      return; // a new leader reaching the same conclusion
    }
    String key = "note/" + g.name();
    if (!inflight.add(key) && !now) {
      return;
    }
    cluster.submit(new ClusterCommand.NoteDecision(g.name(), d.why(), self, System.currentTimeMillis()), COMMAND_TIMEOUT)
        .whenComplete((r, e) -> {
          inflight.remove(key);
          if (e != null) {
            LOG.debug("group {}: decision not replicated: {}", g.name(), e.toString());
          }
        });
  }

  private void submitOnce(String group, ClusterCommand c) {
    if (!inflight.add(group)) {
      return;
    }
    cluster.submit(c, COMMAND_TIMEOUT).whenComplete((r, e) -> {
      inflight.remove(group);
      if (e != null) {
        LOG.warn("group {}: {} not committed: {}", group, c.getClass().getSimpleName(), e.toString());
      } else if (!r.ok()) {
        LOG.info("group {}: {}", group, r.message());
      }
      loop.execute(this::tick);
    });
  }

  // ---- primary side ------------------------------------------------------------------------

  private void primaryDuties(ClusterState s, LocalGroup lg) {
    GroupState g = s.groups().get(lg.name());
    boolean primary = g != null && self.equals(g.primary());
    if (!primary) {
      leases.remove(lg.name());
      retries.remove(lg.name());
      retryAt.remove(lg.name());
      String failing = leftFailing.remove(lg.name());
      if (lg.phase() == Phase.FAILED) {
        coolDown(lg, g, "start-failed-cooldown", "start failed here: " + lg.failure(),
            "the start of " + lg.name() + " failed on " + self, lg.failure());
      } else if (failing != null && lg.phase() == Phase.STOPPED) {
        coolDown(lg, g, "check-failed-cooldown", "a critical check failed here: " + failing,
            "a critical check of " + lg.name() + " failed on " + self, failing);
      }
      if (lg.phase() == Phase.STARTING || lg.phase() == Phase.RUNNING) {
        String who = g == null || g.primary() == null ? "no node" : g.primary();
        lg.demote("no longer primary: " + who + " is primary under epoch " + (g == null ? 0 : g.epoch()), Level.WARNING, () -> { });
      }
      lg.resetFailure();
      return;
    }
    if (g.switchoverTo() != null) {
      handOver(g, lg);
      return;
    }
    boolean fenceNeeded = s.othersHaveMajority(self);
    renewIfDue(g, lg, fenceNeeded);
    Lease l = leases.get(lg.name());
    long now = ticker.nanos();
    boolean held = l != null && l.epoch == g.epoch() && now - (l.untilNanos - timing.fenceLead().toNanos()) < 0;
    // Without fencing (no other voters could elect anyone without this node) a primary keeps
    // serving when renewals fail, but it starts only after one renewal committed in this run:
    // a node restarted with an old view must first hear that it is still the primary.
    boolean confirmed = l != null && l.epoch == g.epoch() && l.confirmed;
    if (lg.phase() == Phase.RUNNING) {
      leftFailing.remove(lg.name());
      if (lg.health().criticalPassing()) {
        failedHere.remove(lg.name());
      }
    }
    if (held || (!fenceNeeded && confirmed)) {
      if (lg.phase() == Phase.STOPPED) {
        lg.promote(g.epoch());
      } else if (lg.phase() == Phase.FAILED) {
        retryStart(g, lg, now);
      }
      if (!fenceNeeded && lg.phase() != Phase.STOPPED) {
        // The watchdog still stops the group if this agent dies or hangs.
        armHeartbeat(lg.name(), now);
      }
    } else if (fenceNeeded && (lg.phase() == Phase.STARTING || lg.phase() == Phase.RUNNING)) {
      lg.demote("lease lapsed: no renewal committed for " + timing.lease().minus(timing.fenceLead()).toMillis()
          + " ms (no quorum reachable); fencing myself before anyone else may be promoted", Level.CRITICAL, () -> { });
    }
  }

  /**
   * A start that failed here is tried again with backoff while this node stays primary: no other node could take the
   * group, or the leader would have moved it (a failed start reports a failing critical check).
   */
  private void retryStart(GroupState g, LocalGroup lg, long now) {
    StartRetry r = retries.get(lg.name());
    if (r == null || !r.covers(g.epoch(), lg.failures())) {
      r = StartRetry.after(g.epoch(), lg.failures(), now, retryFirst, retryMax);
      Duration wait = Duration.ofNanos(r.nextNanos() - now);
      retries.put(lg.name(), r);
      retryAt.put(lg.name(), java.time.Instant.now().plus(wait));
      emit(Level.WARNING, "start-retry-scheduled", lg.name(), "start " + r.failures() + " of " + lg.name() + " on " + self
          + " failed (" + lg.failure() + "); it is tried again in " + tandem.core.Durations.format(wait) + " (at "
          + retryAt.get(lg.name()) + ") unless another node takes the group first");
      return;
    }
    if (r.due(now)) {
      emit(Level.INFO, "start-retry", lg.name(), "trying to start " + lg.name() + " on " + self + " again (attempt "
          + (r.failures() + 1) + ")");
      lg.promote(g.epoch());
    }
  }

  /**
   * The group left this node after its start or a critical check failed here: this node is no candidate for it for a
   * while. {@code status} is what this node's report says meanwhile; the event says {@code what} happened, how many
   * times in a row here, and {@code detail}.
   */
  private void coolDown(LocalGroup lg, GroupState g, String kind, String status, String what, String detail) {
    int n = failedHere.merge(lg.name(), 1, Integer::sum);
    Duration wait = StartRetry.delay(n, retryFirst, retryMax);
    java.time.Instant until = java.time.Instant.now().plus(wait);
    cooldowns.put(lg.name(), new Cooldown(ticker.nanos() + wait.toNanos(), until, status));
    String who = g == null || g.primary() == null ? "no node" : g.primary();
    emit(Level.WARNING, kind, lg.name(), what + " (" + n + " in a row here: " + detail + "); " + who + " has it now, and " + self
        + " is no candidate for it until " + until + " (in " + tandem.core.Durations.format(wait) + ")");
  }

  /** When the next start of a group that failed here is due (wall clock), or null. */
  public java.time.Instant nextStartAttempt(String group) {
    return retryAt.get(group);
  }

  /** Shorter backoff for tests (the default is 5 s doubling to 5 min). */
  void retryBackoff(Duration first, Duration max) {
    retryFirst = first;
    retryMax = max;
  }

  private void renewIfDue(GroupState g, LocalGroup lg, boolean fenceNeeded) {
    long now = ticker.nanos();
    Lease l = leases.get(lg.name());
    if (l != null && l.epoch == g.epoch() && (l.renewing || now - l.lastSentNanos < timing.renewInterval().toNanos())) {
      return;
    }
    boolean same = l != null && l.epoch == g.epoch();
    Lease sending = new Lease(g.epoch(), same ? l.untilNanos : now, now, true, same && l.confirmed);
    leases.put(lg.name(), sending);
    cluster.submit(new ClusterCommand.Renew(g.name(), self, g.epoch()), timing.lease()).whenComplete((r, e) -> {
      Lease cur = leases.get(lg.name());
      boolean ok = e == null && r.ok();
      long until = ok ? now + timing.lease().toNanos() : (cur == null ? now : cur.untilNanos);
      leases.computeIfPresent(lg.name(), (k, c) ->
          new Lease(c.epoch, Math.max(until, c.untilNanos), c.lastSentNanos, false, c.confirmed || ok));
      if (ok && fenceNeeded && until - timing.watchdogLead().toNanos() - ticker.nanos() > 0) {
        arm(lg.name(), until - timing.watchdogLead().toNanos());
      }
      if (ok && (lg.phase() == Phase.STOPPED)) {
        loop.execute(this::tick);
      }
    });
  }

  private void armHeartbeat(String group, long now) {
    Long last = heartbeats.get(group);
    if (last != null && now - last < timing.renewInterval().toNanos()) {
      return;
    }
    heartbeats.put(group, now);
    arm(group, now + timing.lease().minus(timing.watchdogLead()).toNanos());
  }

  private void handOver(GroupState g, LocalGroup lg) {
    if (!inflight.add("release/" + g.name())) {
      return;
    }
    HealthReport health = lg.health();
    if (health.criticalFailing()) {
      leftFailing.put(g.name(), health.summary());
    }
    lg.demote("switchover to " + g.switchoverTo(), Level.WARNING, () ->
        cluster.submit(new ClusterCommand.Release(g.name(), self, g.epoch(), System.currentTimeMillis()), COMMAND_TIMEOUT)
            .whenComplete((r, e) -> {
              inflight.remove("release/" + g.name());
              leases.remove(g.name());
              if (e != null) {
                LOG.warn("release of {} not committed: {}", g.name(), e.toString());
              }
              loop.execute(this::tick);
            }));
  }

  private void arm(String group, long deadline) {
    try {
      watchdog.arm(group, deadline);
    } catch (IOException e) {
      emit(Level.CRITICAL, "watchdog-down", group, "cannot arm the fencing watchdog: " + e.getMessage());
    }
  }

  private void disarm(String group) {
    try {
      watchdog.disarm(group);
    } catch (IOException e) {
      LOG.warn("cannot disarm the watchdog for {}: {}", group, e.getMessage());
    }
  }

  // ---- reports -----------------------------------------------------------------------------

  private void report(ClusterState s, LocalGroup lg) {
    HealthReport h = lg.health();
    boolean running = lg.phase() == Phase.RUNNING;
    Cooldown cool = cooldowns.get(lg.name());
    if (cool != null && (cool.untilNanos - ticker.nanos() <= 0 || lg.phase() != Phase.STOPPED)) {
      cooldowns.remove(lg.name(), cool);
      cool = null;
    }
    boolean failed = lg.phase() == Phase.FAILED || cool != null;
    java.time.Instant next = lg.phase() == Phase.FAILED ? retryAt.get(lg.name()) : null;
    String summary = cool != null ? cool.why + "; a candidate again at " + cool.until
        : failed ? "start failed: " + lg.failure() + (next == null ? "" : "; next attempt at " + next) : h.summary();
    NodeReport r = new NodeReport(self, lg.name(), !failed && !h.criticalFailing(), failed || h.criticalFailing(),
        h.weightAdjustment(), summary, running, running ? lg.epoch() : 0, System.currentTimeMillis(), lg.position(), lg.maxLag(),
        lg.lagUnit(), lg.maxLagMillis(), behindSince(s, lg),
        positionMillis(lg));
    NodeReport agreed = s.report(self, lg.name());
    // A database's position moves with every write: it is reported at most every POSITION_EVERY_MILLIS.
    if (agreed != null && sameFacts(agreed, r) && (samePosition(agreed, r) || r.atMillis() - agreed.atMillis() < POSITION_EVERY_MILLIS)) {
      return;
    }
    NodeReport last = lastReport.get(lg.name());
    if (last != null && sameFacts(last, r) && samePosition(last, r) && inflight.contains("report/" + lg.name())) {
      return;
    }
    if (!inflight.add("report/" + lg.name())) {
      return;
    }
    lastReport.put(lg.name(), r);
    cluster.submit(new ClusterCommand.Report(r), COMMAND_TIMEOUT)
        .whenComplete((res, e) -> inflight.remove("report/" + lg.name()));
  }

  /**
   * With a time limit on lag: since which report of the group's primary (its {@code atMillis})
   * this node lacks part of what the primary reported; 0 while it has all of it; -1 when it has not
   * had all of it since this agent started (or there is no primary report yet). Remembered across
   * ticks, so the lag in time is known after the primary dies; 0 without a time limit.
   */
  private long behindSince(ClusterState s, LocalGroup lg) {
    GroupState g = s.groups().get(lg.name());
    if (lg.maxLagMillis() <= 0 || g == null || self.equals(g.primary())) {
      behindSince.remove(lg.name());
      return 0;
    }
    NodeReport pr = g.primary() == null ? null : s.report(g.primary(), lg.name());
    long mine = lg.position();
    long since = behindSince.getOrDefault(lg.name(), -1L);
    if (pr != null && pr.position() > 0 && mine > 0) {
      if (mine >= pr.position()) {
        since = 0;
      } else if (since == 0) {
        // It had everything until this position: the oldest write it lacks is at most this old.
        since = wroteAt(pr);
      }
    }
    behindSince.put(lg.name(), since);
    return since;
  }

  /** The wall-clock time from which this node's position has been what it is now. */
  private long positionMillis(LocalGroup lg) {
    long position = lg.position();
    long[] last = positionSince.get(lg.name());
    if (last == null || last[0] != position) {
      last = new long[] {position, System.currentTimeMillis()};
      positionSince.put(lg.name(), last);
    }
    return position > 0 ? last[1] : 0;
  }

  private record Cooldown(long untilNanos, java.time.Instant until, String why) {}

  private static boolean samePosition(NodeReport a, NodeReport b) {
    return a.position() == b.position() && a.behindSinceMillis() == b.behindSinceMillis();
  }

  private static boolean sameFacts(NodeReport a, NodeReport b) {
    return a.passing() == b.passing() && a.criticalFailing() == b.criticalFailing() && a.weight() == b.weight()
        && a.running() == b.running() && a.runningEpoch() == b.runningEpoch() && a.summary().equals(b.summary())
        && a.maxLag() == b.maxLag() && a.maxLagMillis() == b.maxLagMillis() && java.util.Objects.equals(a.lagUnit(), b.lagUnit());
  }

  private void emit(Level level, String kind, String group, String message) {
    events.emit(new Event(Instant.now(), level, kind, self, group, message));
  }

  /** Stops the loop; the caller then stops the local groups. */
  @Override
  public void close() throws InterruptedException {
    loop.shutdownNow();
    loop.awaitTermination(5, TimeUnit.SECONDS);
  }

  /** Submits a command and waits for its result (for the API's mutating calls). */
  public CommandResult submitAndWait(ClusterCommand c) throws Exception {
    return cluster.submit(c, COMMAND_TIMEOUT).get();
  }
}
