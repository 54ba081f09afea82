package tandem.failover;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import java.util.concurrent.CompletableFuture;
import tandem.testkit.FakeCluster;
import tandem.testkit.FakeTicker;
import tandem.cluster.Cluster;
import tandem.cluster.ClusterCommand;
import tandem.cluster.ClusterListener;
import tandem.cluster.ClusterState;
import tandem.cluster.CommandResult;
import tandem.cluster.ClusterCommand.Promote;
import tandem.cluster.ClusterCommand.Release;
import tandem.cluster.ClusterCommand.Renew;
import tandem.cluster.GroupState;
import tandem.cluster.NodeReport;
import tandem.core.Event;
import tandem.core.EventSink;
import tandem.core.Level;
import tandem.core.Ticker;
import tandem.failover.fencing.Watchdog;
import tandem.health.HealthMonitor;
import tandem.resource.ResourceChain;
import tandem.resource.ServiceResource;

/**
 * Failure stories of one node's {@link FailoverCoordinator}, against a {@link FakeCluster} that plays Raft. The
 * primary side runs for real: a {@link LocalGroup} whose service start and stop commands append to a file, and the
 * real fencing watchdog JVM; time is the system's, and the tests wait with Awaitility, never by sleeping. The leader
 * side runs on a {@link FakeTicker}: the coordinator's loop still ticks every 100 ms, and a test knows a tick has seen
 * the time it set when the leader's decision sentence says so.
 *
 * <p>Lease timing is the default: lease 2 s, renewals every 400 ms, promote margin 300 ms. So a primary fences itself
 * 1.5 s after its last committed renewal was sent, its watchdog at 1.7 s, and the leader promotes at 2.3 s.
 */
class FailoverCoordinatorTest {
  /** Scales the waits (not the lease bounds under test) for slow machines: -Dtiming-multiple=3 (Curator's Timing). */
  static final long MULTIPLE = Long.getLong("timing-multiple", 1);
  static final Duration PATIENCE = Duration.ofSeconds(20 * MULTIPLE);
  static final LeaseTiming TIMING = new LeaseTiming(Duration.ofSeconds(2), Duration.ofMillis(400), Duration.ofMillis(300));
  static final Duration PROMOTE_AFTER = TIMING.promoteAfter();
  static final String SETUP = "test setup";

  @TempDir Path dir;
  Path service;
  FakeCluster cluster;
  Watchdog watchdog;
  LocalGroup web;
  FailoverCoordinator coordinator;
  final FakeTicker ticker = new FakeTicker();
  final List<Seen> events = new CopyOnWriteArrayList<>();
  final List<String> fenced = new CopyOnWriteArrayList<>();
  final AtomicInteger probes = new AtomicInteger();
  String startCommand;
  /** The service checks of the primary side's group (none unless a test sets them). */
  List<tandem.config.CheckConfig> serviceChecks = List.of();
  Duration retryFirst;
  Duration retryMax;

  /** An event and the {@link System#nanoTime()} at which it was emitted. */
  record Seen(Event event, long atNanos) {}

  @AfterEach
  void stopEverything() throws Exception {
    if (coordinator != null) {
      coordinator.close();
    }
    if (web != null) {
      web.close();
    }
    if (watchdog != null) {
      watchdog.close();
      ProcessHandle.of(watchdog.pid()).ifPresent(ProcessHandle::destroyForcibly);
      await().atMost(PATIENCE).until(() -> !watchdog.alive());
    }
    if (cluster != null) {
      cluster.close();
    }
  }

  // ---- primary side ------------------------------------------------------------------------

  @Test
  void promotedWhileSubmitsFail_startsTheServiceOnlyAfterItsFirstRenewalCommits() throws Exception {
    threeVoters();
    makePrimary("n2");
    cluster.loseQuorum();

    startPrimarySide("n2");

    await().atMost(PATIENCE).until(() -> !cluster.submitted(Renew.class).isEmpty());
    // Past a whole lease, so the first renewal timed out and the next one was sent: still nothing starts.
    await().during(TIMING.lease().plusMillis(500)).atMost(PATIENCE).until(() -> serviceLog().isEmpty());
    assertThat(web.phase()).isEqualTo(Phase.STOPPED);
    assertThat(cluster.submitted(Renew.class)).as("kept trying to renew").hasSizeGreaterThanOrEqualTo(2);
    assertThat(cluster.applied(Renew.class)).isEmpty();

    cluster.regainQuorum();

    await().atMost(PATIENCE).until(this::serviceRunning);
    FakeCluster.Entry firstRenewal = cluster.applied(Renew.class).getFirst();
    assertThat(firstRenewal.result().ok()).isTrue();
    assertThat(millisOf(serviceLog().getFirst())).as("started after the first renewal committed")
        .isGreaterThanOrEqualTo(firstRenewal.atMillis());
    assertThat(serviceLog().getFirst()).startsWith("start 1 ");
    await().atMost(PATIENCE).until(() -> event("promoted") != null);
  }

  @Test
  void primaryLosesQuorumInThreeVoterCluster_stopsItsServiceBeforeTheLeaseEnds() throws Exception {
    threeVoters();
    makePrimary("n2");
    startPrimarySide("n2");
    await().atMost(PATIENCE).until(() -> serviceRunning() && cluster.applied(Renew.class).size() >= 2);

    cluster.loseQuorum();

    await().atMost(PATIENCE).until(() -> event("demoted") != null);
    FakeCluster.Entry lastRenewal = cluster.applied(Renew.class).getLast();
    Seen demoted = event("demoted");
    double stoppedAfter = seconds(demoted.atNanos() - lastRenewal.atNanos());
    // Not before the fence point (lease - 25% = 1.5 s, less timer slack), and what safety needs: stopped before any
    // other node may be promoted (lease + margin = 2.3 s). A loaded 2-core machine has run the fence 0.44 s late.
    double promoteAfter = TIMING.promoteAfter().toMillis() / 1000.0;
    assertThat(stoppedAfter).as("seconds from the last committed renewal until the service was stopped")
        .isBetween(1.4, promoteAfter);
    assertThat(millisOf(serviceLog().getLast()) - lastRenewal.atMillis()).as("ms until the stop command ran")
        .isBetween(1400L, TIMING.promoteAfter().toMillis());
    assertThat(serviceRunning()).isFalse();
    assertThat(demoted.event().level()).isEqualTo(Level.CRITICAL);
    assertThat(demoted.event().message()).contains("lease lapsed").contains("n2 stopped web");
    // The agent stopped it itself and disarmed: the watchdog, due 1.7 s after the renewal, does not fire as well.
    awaitWatchdogPast(lastRenewal.atNanos() + TIMING.lease().toNanos());
    assertThat(fenced).isEmpty();
    assertThat(serviceLog().stream().filter(l -> l.startsWith("stop"))).hasSize(1);
  }

  @Test
  void quorumBackBeforeAnyoneElseWasPromoted_primaryStartsAgainUnderTheSameEpoch() throws Exception {
    threeVoters();
    makePrimary("n2");
    startPrimarySide("n2");
    await().atMost(PATIENCE).until(() -> serviceRunning() && cluster.applied(Renew.class).size() >= 1);
    cluster.loseQuorum();
    await().atMost(PATIENCE).until(() -> event("demoted") != null && web.phase() == Phase.STOPPED);

    cluster.regainQuorum();

    await().atMost(PATIENCE).until(this::serviceRunning);
    assertThat(serviceLog().getLast()).startsWith("start 1 ");
    assertThat(group().primary()).isEqualTo("n2");
    assertThat(group().epoch()).isEqualTo(1);
  }

  @Test
  void primaryLosesQuorumInTwoVoterCluster_keepsRunning() throws Exception {
    cluster = FakeCluster.withDataNodes("n1", "n2");
    defineWeb(Map.of("n1", "primary", "n2", "passive"));
    makePrimary("n1");
    startPrimarySide("n1");
    await().atMost(PATIENCE).until(() -> serviceRunning() && cluster.applied(Renew.class).size() >= 2);

    cluster.loseQuorum();

    // The other voter cannot elect anyone alone, so nobody else can start the group: no need to fence.
    await().during(TIMING.lease().plusSeconds(1)).atMost(PATIENCE)
        .until(() -> serviceRunning() && web.phase() == Phase.RUNNING);
    assertThat(cluster.submitted(Renew.class).size()).as("still trying to renew")
        .isGreaterThan(cluster.applied(Renew.class).size());
    assertThat(event("demoted")).isNull();
    // The agent keeps re-arming the watchdog while it lives, so the watchdog did not fire either.
    awaitWatchdogPast(System.nanoTime());
    assertThat(fenced).isEmpty();
    assertThat(serviceRunning()).isTrue();
  }

  @Test
  void renewalRefusedBecauseAnotherNodeIsPrimaryUnderAHigherEpoch_stopsTheService() throws Exception {
    threeVoters();
    makePrimary("n2");
    startPrimarySide("n2");
    await().atMost(PATIENCE).until(() -> serviceRunning() && cluster.applied(Renew.class).size() >= 1);

    // While n2's next renewal travels, the leader promotes n3 (it thought n2 was gone).
    cluster.slipIn(c -> c instanceof Renew r && r.node().equals("n2"),
        s -> new Promote("web", "n3", 1, s.groups().get("web").renewals(), "n2 looked lost", System.currentTimeMillis()));

    await().atMost(PATIENCE).until(() -> event("demoted") != null);
    FakeCluster.Entry refused = cluster.applied(Renew.class).getLast();
    assertThat(refused.result().ok()).isFalse();
    assertThat(refused.result().message()).contains("n2 is not the primary of web under epoch 1 (primary n3, epoch 2)");
    assertThat(serviceRunning()).isFalse();
    assertThat(event("demoted").event().message()).contains("no longer primary: n3 is primary under epoch 2");
    await().atMost(PATIENCE).until(() -> {
      NodeReport r = cluster.state().report("n2", "web");
      return r != null && !r.running() && r.runningEpoch() == 0;
    });
  }

  @Test
  void switchoverRequested_primaryStopsThenReleasesAndTheTargetIsPrimaryUnderTheNextEpoch() throws Exception {
    threeVoters();
    makePrimary("n2");
    startPrimarySide("n2");
    await().atMost(PATIENCE).until(() -> serviceRunning() && cluster.applied(Renew.class).size() >= 1);
    AtomicReference<Boolean> runningAtRelease = new AtomicReference<>();
    cluster.addListener((before, cmd, result, after) -> {
      if (cmd instanceof Release) {
        runningAtRelease.set(serviceRunning());
      }
    });

    assertThat(cluster.apply(new ClusterCommand.RequestSwitchover("web", "n3", "test", System.currentTimeMillis())).ok())
        .isTrue();

    await().atMost(PATIENCE).until(() -> "n3".equals(group().primary()));
    FakeCluster.Entry release = cluster.applied(Release.class).getFirst();
    assertThat(release.result().ok()).as(release.result().message()).isTrue();
    assertThat(release.command()).isEqualTo(new Release("web", "n2", 1, ((Release) release.command()).atMillis()));
    assertThat(runningAtRelease.get()).as("the service was stopped before the release was submitted").isFalse();
    assertThat(group().epoch()).isEqualTo(2);
    assertThat(group().switchoverTo()).isNull();
    assertThat(event("demoted").event().message()).contains("switchover to n3");
    assertThat(serviceLog().getLast()).startsWith("stop 1 ");
    long lastRenewal = cluster.applied(Renew.class).getLast().atNanos();
    awaitWatchdogPast(lastRenewal + TIMING.lease().toNanos());
    assertThat(fenced).as("a clean handover leaves nothing for the watchdog to fence").isEmpty();
    assertThat(cluster.submitted(Release.class)).hasSize(1);
  }

  /**
   * A primary whose start command fails reports "start failed" (critical, not passing) but, as it stays the primary,
   * keeps renewing its lease. The leader must then move the group, as for a failing critical check; otherwise the
   * group runs nowhere while every status says the primary "holds its lease".
   */
  @Test
  void primaryWhoseStartFails_isReplacedByTheLeader() throws Exception {
    threeVoters();
    makePrimary("n2");
    cluster.apply(new ClusterCommand.Report(report("n3", true)));
    cluster.setPeerSilence(Map.of("n2", Duration.ofMillis(50), "n3", Duration.ofMillis(50)));
    startCommand = "echo cannot start >&2; exit 3";
    retryFirst = Duration.ofSeconds(2); // the cooldown below (5 s by default)
    retryMax = Duration.ofSeconds(8);
    startPrimarySide("n2");
    await().atMost(PATIENCE).until(() -> {
      NodeReport r = cluster.state().report("n2", "web");
      return r != null && r.criticalFailing() && r.summary().startsWith("start failed");
    });
    assertThat(event("start-failed").event().message()).contains("exit 3");

    leaderMovesWebTo("n3", "whose start failed on n2");
    assertThat(group().epoch()).isEqualTo(2);

    // n2 is no candidate for web for a while (else a group that starts nowhere would move back and forth as fast
    // as its starts fail), then it is one again.
    Seen cooldown = await().atMost(PATIENCE).until(() -> events("start-failed-cooldown").stream().findFirst().orElse(null),
        java.util.Objects::nonNull);
    assertThat(cooldown.event().message()).contains("failed on n2 (1 in a row here: ", "exit 3", "n3 has it now",
        "n2 is no candidate for it until ", "(in 2s)");
    NodeReport unfit = await().atMost(PATIENCE).until(() -> cluster.state().report("n2", "web"),
        r -> r.summary().startsWith("start failed here: "));
    assertThat(unfit.passing()).isFalse();
    assertThat(unfit.criticalFailing()).isTrue();
    assertThat(unfit.summary()).contains("exit 3", "; a candidate again at ");
    awaitFitAfterCooldown(unfit, "start failed");
  }

  /**
   * The leader's sentence about a group reaches `status` on every node through the log. A note lost on its way (it
   * timed out while a new leader settled) is sent again; status showed the old sentence ("group has no primary; n1 is
   * the best candidate") while n1 held its lease.
   */
  @Test
  void leadersSentence_lostOnItsWay_isNotedAgain() throws Exception {
    threeVoters();
    makePrimary("n2");
    assertThat(cluster.apply(new ClusterCommand.SetPaused("web", true, "test")).ok()).isTrue();
    cluster.dropNext(c -> c instanceof ClusterCommand.NoteDecision);
    FailoverCoordinator leader = new FailoverCoordinator("n1", leaderView(), TIMING, Map.of(), Ticker.system(),
        e -> events.add(new Seen(e, System.nanoTime())), null);
    try {
      leader.start();
      await().atMost(PATIENCE).untilAsserted(() -> assertThat(group().decision())
          .isEqualTo("paused: automatic failover is off (tandem resume web)"));
    } finally {
      leader.close();
    }
    assertThat(cluster.submitted(ClusterCommand.NoteDecision.class)).as("the lost note, then the one that arrived")
        .hasSizeGreaterThanOrEqualTo(2);
  }

  /**
   * A critical check that fails on the primary moves the group away; the node it left must then be no candidate for a
   * while, as after a failed start. A service check does not run where the service is stopped, so without that the
   * node looks fit again at once and a group whose check fails everywhere moves back and forth every few seconds
   * (seen with `tandem run` on two nodes, the epoch counting up by one every 2 s).
   */
  @Test
  void primaryWhoseCriticalCheckFails_isMovedAway_andIsNoCandidateForAWhile() throws Exception {
    threeVoters();
    makePrimary("n2");
    cluster.apply(new ClusterCommand.Report(report("n3", true)));
    cluster.setPeerSilence(Map.of("n2", Duration.ofMillis(50), "n3", Duration.ofMillis(50)));
    // Fails on n2 (no such file); TANDEM_NODE is set for checks as for the service's commands.
    serviceChecks = List.of(new tandem.config.CheckConfig("app", new tandem.config.CheckTarget.Command(
        "test -f '" + dir + "/healthy-'\"$TANDEM_NODE\" || { echo \"$TANDEM_NODE/$TANDEM_GROUP\" is down; exit 1; }"),
        tandem.config.CheckScope.SERVICE, Duration.ofMillis(100), Duration.ofSeconds(5), 2, 1, 0, true, Optional.empty(), 0));
    retryFirst = Duration.ofSeconds(2);
    retryMax = Duration.ofSeconds(8);
    startPrimarySide("n2");
    await().atMost(PATIENCE).until(() -> {
      NodeReport r = cluster.state().report("n2", "web");
      return r != null && r.running() && r.criticalFailing();
    });

    leaderMovesWebTo("n3", "whose critical check failed on n2");
    assertThat(cluster.submitted(Release.class)).as("a handover, not a lease wait").hasSize(1);

    Seen cooldown = await().atMost(PATIENCE).until(() -> events("check-failed-cooldown").stream().findFirst().orElse(null),
        java.util.Objects::nonNull);
    assertThat(cooldown.event().message()).contains("a critical check of web failed on n2 (1 in a row here: ",
        "n2/web is down", "n3 has it now", "n2 is no candidate for it until ", "(in 2s)");
    NodeReport unfit = await().atMost(PATIENCE).until(() -> cluster.state().report("n2", "web"),
        r -> r.summary().startsWith("a critical check failed here: "));
    assertThat(unfit.passing()).isFalse();
    assertThat(unfit.running()).isFalse();
    assertThat(unfit.summary()).contains("; a candidate again at ");
    awaitFitAfterCooldown(unfit, "failed here");
  }

  /**
   * A primary whose start fails while no other node can take the group (n1 and n3 never reported) tries again with
   * backoff (here 300 ms doubling to 1 s instead of 5 s to 5 min), saying when in an event and in its report, until
   * the start works: then it runs under the same epoch.
   */
  @Test
  void primaryWhoseStartFails_withNobodyToTakeOver_retriesWithBackoff_untilTheStartWorks() throws Exception {
    threeVoters();
    makePrimary("n2");
    Path ok = dir.resolve("ok");
    service = dir.resolve("service.log"); // line() needs it now
    startCommand = "test -f '" + ok + "' || { echo not yet >&2; exit 3; }; " + line("start");
    retryFirst = Duration.ofMillis(300);
    retryMax = Duration.ofSeconds(1);
    startPrimarySide("n2");

    await().atMost(PATIENCE).until(() -> events("start-retry-scheduled").size() >= 3);
    assertThat(events("start-retry-scheduled")).extracting(s -> s.event().message()).satisfies(m -> {
      assertThat(m.get(0)).startsWith("start 1 of web on n2 failed (").contains("not yet", "tried again in 300ms (at ");
      assertThat(m.get(1)).startsWith("start 2 of web on n2 failed").contains("in 600ms");
      assertThat(m.get(2)).startsWith("start 3 of web on n2 failed").contains("in 1s", "unless another node takes");
    });
    assertThat(event("start-retry").event().message()).isEqualTo("trying to start web on n2 again (attempt 2)");
    await().atMost(PATIENCE).until(() -> {
      NodeReport r = cluster.state().report("n2", "web");
      return r != null && r.summary().startsWith("start failed") && r.summary().contains("next attempt at ");
    });
    assertThat(coordinator.nextStartAttempt("web")).isNotNull();

    Files.createFile(ok);

    await().atMost(PATIENCE).until(this::serviceRunning);
    assertThat(web.failures()).isZero();
    assertThat(group().primary()).isEqualTo("n2");
    assertThat(group().epoch()).isEqualTo(1);
  }

  // ---- leader side -------------------------------------------------------------------------

  @Test
  void leaderSeesThePrimarySilentForLeasePlusMargin_promotesTheBestCandidateWithTheEpochAndRenewalsItSaw() {
    leaderScenario();
    cluster.setLeaderReady(true, "n1");
    startLeaderSide("n1");
    awaitDecision("n2 is primary and holds its lease");

    ticker.advance(PROMOTE_AFTER.minusMillis(1));

    awaitDecision("another node may take over in 1ms");
    assertThat(leaderPromotions()).isEmpty();

    ticker.advance(Duration.ofMillis(1));

    await().atMost(PATIENCE).until(() -> "n3".equals(group().primary()));
    Promote p = leaderPromotions().getFirst();
    assertThat(p.node()).as("active n3 (score 90) beats passive n1 (score 80)").isEqualTo("n3");
    assertThat(p.expectedEpoch()).isEqualTo(1);
    assertThat(p.expectedRenewals()).isEqualTo(3);
    assertThat(p.reason()).contains("n2 has not renewed its lease for 2.3s").contains("promoting n3");
    assertThat(group().epoch()).isEqualTo(2);
    // The event of the change comes from the agent, on every node, when the promotion is applied.
  }

  @Test
  void renewalLandingBetweenTheDecisionAndItsCommit_cancelsThePromotion() {
    leaderScenario();
    cluster.setLeaderReady(true, "n1");
    startLeaderSide("n1");
    awaitDecision("n2 is primary and holds its lease");
    cluster.slipIn(c -> c instanceof Promote, s -> new Renew("web", "n2", 1));

    ticker.advance(PROMOTE_AFTER);

    await().atMost(PATIENCE).until(() -> cluster.applied(Promote.class).size() == 2);
    FakeCluster.Entry promote = cluster.applied(Promote.class).getLast();
    assertThat(promote.result().ok()).isFalse();
    assertThat(promote.result().message())
        .contains("promotion of n3 cancelled: group web changed since the decision (epoch 1, renewals 4)");
    assertThat(group().primary()).isEqualTo("n2");
    assertThat(group().epoch()).isEqualTo(1);
    // The leader counts the lease again from the renewal it just saw.
    awaitDecision("n2 is primary and holds its lease");
    assertThat(leaderPromotions()).hasSize(1);
    assertThat(event("failover")).isNull();
  }

  /**
   * A follower elected leader counts the primary's silence from the renewal it applied as a
   * follower, not from its election: the node that died with the lead and the primary role is
   * replaced as fast as a primary alone.
   */
  @Test
  void newLeader_countsThePrimarysSilenceFromTheLastRenewalItAppliedAsAFollower() {
    threeVoters();
    makePrimary("n2");
    cluster.apply(new ClusterCommand.Report(report("n1", true)));
    cluster.apply(new ClusterCommand.Report(report("n3", true)));
    cluster.setPeerSilence(Map.of("n2", Duration.ofSeconds(5), "n3", Duration.ofMillis(50)));
    startLeaderSide("n1");
    // As a follower, n1 applies n2's last renewal; 1.2 s later it becomes leader.
    assertThat(cluster.apply(new Renew("web", "n2", 1)).ok()).isTrue();
    cluster.apply(new ClusterCommand.Report(report("n3", true))); // the follower's loop has seen the renewal
    await().atMost(PATIENCE).until(() -> coordinator.leaseSeen("web") != null);
    ticker.advance(Duration.ofMillis(1200));
    assertThat(coordinator.decisions()).as("a follower decides nothing").isEmpty();

    cluster.setLeaderReady(true, "n1");

    awaitDecision("n2 has not renewed its lease for 1.2s; another node may take over in 1.1s");
    assertThat(leaderPromotions()).isEmpty();
    ticker.advance(PROMOTE_AFTER.minusMillis(1200).minusMillis(1));
    awaitDecision("another node may take over in 1ms");
    assertThat(leaderPromotions()).isEmpty();

    ticker.advance(Duration.ofMillis(1));

    await().atMost(PATIENCE).until(() -> !leaderPromotions().isEmpty());
    assertThat(leaderPromotions().getFirst().node()).isEqualTo("n3");
    assertThat(leaderPromotions().getFirst().expectedRenewals()).isEqualTo(1);
  }

  /** A leader that never saw the group's last renewal applied waits a whole lease from its first look. */
  @Test
  void newLeaderThatSawNoRenewal_waitsAWholeLeaseFromItsFirstLook() {
    threeVoters();
    makePrimary("n2");
    cluster.apply(new ClusterCommand.Report(report("n1", true)));
    cluster.apply(new ClusterCommand.Report(report("n3", true)));
    cluster.setPeerSilence(Map.of("n2", Duration.ofSeconds(5), "n3", Duration.ofMillis(50)));
    ticker.advance(Duration.ofSeconds(60)); // the promotion was long before this agent started
    cluster.setLeaderReady(true, "n1");
    startLeaderSide("n1");

    awaitDecision("n2 is primary and holds its lease");
    ticker.advance(PROMOTE_AFTER.minusMillis(1));
    awaitDecision("another node may take over in 1ms");
    assertThat(leaderPromotions()).isEmpty();

    ticker.advance(Duration.ofMillis(1));

    await().atMost(PATIENCE).until(() -> !leaderPromotions().isEmpty());
    assertThat(leaderPromotions().getFirst().node()).isEqualTo("n3");
  }

  @Test
  void leaderOfTwoVoters_doesNotPromote_andSaysWhyOnce() {
    cluster = FakeCluster.withDataNodes("n1", "n2");
    defineWeb(Map.of("n1", "active", "n2", "primary"));
    makePrimary("n2");
    cluster.apply(new ClusterCommand.Report(report("n1", true)));
    cluster.setLeaderReady(true, "n1");
    startLeaderSide("n1");
    awaitDecision("n2 is primary and holds its lease");

    ticker.advance(PROMOTE_AFTER.plusSeconds(10));

    awaitDecision("a cluster of 2 voting nodes cannot fail over by itself");
    await().atMost(PATIENCE).until(() -> event("failover-impossible") != null);
    assertThat(event("failover-impossible").event().level()).isEqualTo(Level.CRITICAL);
    assertThat(event("failover-impossible").event().message()).contains("tandem failover web --to <node> --force");
    ticker.advance(Duration.ofSeconds(1));
    awaitDecision("has not renewed its lease for 13.3s"); // a later tick: still one event
    assertThat(events.stream().filter(e -> e.event().kind().equals("failover-impossible"))).hasSize(1);
    assertThat(leaderPromotions()).isEmpty();
  }

  // ---- lag in time (max-lag-on-failover: 5s) -------------------------------------------------

  @Test
  void replicaWithATimeLimit_reportsSinceWhichPrimaryReportItLacksWrites_andKeepsItWhileBehind() throws Exception {
    threeVoters();
    makePrimary("n2");
    AtomicLong received = new AtomicLong(90);
    cluster.apply(new ClusterCommand.Report(positionReport("n2", 100, 1_000_000)));
    startReplicaSide("n3", received);

    await().atMost(PATIENCE).until(() -> reportOf("n3") != null && reportOf("n3").position() == 90);
    assertThat(reportOf("n3").behindSinceMillis()).as("not seen with all the primary reported since its agent started")
        .isEqualTo(-1);
    assertThat(FailoverCoordinator.timeLag(reportOf("n2"), reportOf("n3"))).isEqualTo(Candidate.NEVER_CAUGHT_UP);
    assertThat(reportOf("n3").maxLagMillis()).isEqualTo(5_000);
    assertThat(reportOf("n3").lagUnit()).isEqualTo("transactions");

    received.set(100);
    await("n3 reports it has all").atMost(PATIENCE)
        .until(() -> reportOf("n3").position() == 100 && reportOf("n3").behindSinceMillis() == 0);

    // After an idle minute the primary writes again; n3 receives only part of it.
    received.set(150);
    cluster.apply(new ClusterCommand.Report(positionReport("n2", 200, 1_060_000)));
    await("n3 reports the first primary report it lacks").atMost(PATIENCE)
        .until(() -> reportOf("n3").position() == 150 && reportOf("n3").behindSinceMillis() == 1_060_000);
    assertThat(FailoverCoordinator.timeLag(reportOf("n2"), reportOf("n3"))).as("not the idle minute").isZero();
    cluster.apply(new ClusterCommand.Report(positionReport("n2", 300, 1_067_000)));
    await().atMost(PATIENCE).until(() -> reportOf("n2").position() == 300);
    assertThat(FailoverCoordinator.timeLag(reportOf("n2"), reportOf("n3"))).as("its oldest missing write is 7s old")
        .isEqualTo(7_000);
    assertThat(reportOf("n3").behindSinceMillis()).as("kept while behind").isEqualTo(1_060_000);
    // A later report of the primary without a new position (its health summary changed) does not age n3.
    cluster.apply(new ClusterCommand.Report(new NodeReport("n2", "web", true, false, 0, "disk 91% full", false, 0, 1_090_000,
        300, 0, "transactions", 5_000, 0, 1_067_000)));
    assertThat(FailoverCoordinator.timeLag(reportOf("n2"), reportOf("n3"))).isEqualTo(7_000);

    received.set(300);
    await("n3 reports it has all").atMost(PATIENCE)
        .until(() -> reportOf("n3").position() == 300 && reportOf("n3").behindSinceMillis() == 0);
    assertThat(FailoverCoordinator.timeLag(reportOf("n2"), reportOf("n3"))).isZero();
  }

  @Test
  void leaderWithAPrimaryGoneSilent_doesNotPromoteAReplicaThatWasTooFarBehindInTime_andSaysSoWithTheNumbers() {
    leaderScenario();
    // n2 last reported position 500 at t; n3 lacks writes n2 reported at t-8s, n1 only since t-1s: with n2 dead, neither grows.
    long t = System.currentTimeMillis();
    cluster.apply(new ClusterCommand.Report(positionReport("n2", 500, t)));
    cluster.apply(new ClusterCommand.Report(laggingReport("n3", 450, t - 8_000)));
    cluster.apply(new ClusterCommand.Report(laggingReport("n1", 400, t - 1_000)));
    cluster.setLeaderReady(true, "n1");
    startLeaderSide("n1");
    awaitDecision("n2 is primary and holds its lease");

    ticker.advance(PROMOTE_AFTER.plusSeconds(30));

    await().atMost(PATIENCE).until(() -> !leaderPromotions().isEmpty());
    Promote p = leaderPromotions().getFirst();
    assertThat(p.node()).as("n3 is further along, but was 8s behind in time").isEqualTo("n1");
  }

  @Test
  void leaderWithEveryReplicaTooFarBehindInTime_isStuck_andTheEventGivesTheLag() {
    leaderScenario();
    long t = System.currentTimeMillis();
    cluster.apply(new ClusterCommand.Report(positionReport("n2", 500, t)));
    cluster.apply(new ClusterCommand.Report(laggingReport("n3", 450, t - 8_000)));
    cluster.apply(new ClusterCommand.Report(laggingReport("n1", 400, -1)));
    cluster.setLeaderReady(true, "n1");
    startLeaderSide("n1");
    awaitDecision("n2 is primary and holds its lease");

    ticker.advance(PROMOTE_AFTER.plusSeconds(30));

    awaitDecision("n3 was 8s behind the old primary at its last report (max-lag-on-failover 5s)");
    await().atMost(PATIENCE).until(() -> event("failover-impossible") != null);
    assertThat(event("failover-impossible").event().message()).contains("n3 was 8s behind")
        .contains("n1 never had all the old primary had reported");
    assertThat(leaderPromotions()).isEmpty();
  }

  static NodeReport positionReport(String node, long position, long atMillis) {
    return new NodeReport(node, "web", true, false, 0, "no checks", false, 0, atMillis, position, 0, "transactions", 5_000, 0,
        atMillis);
  }

  static NodeReport laggingReport(String node, long position, long behindSinceMillis) {
    return new NodeReport(node, "web", true, false, 0, "no checks", false, 0, System.currentTimeMillis(), position, 0,
        "transactions", 5_000, behindSinceMillis, 0);
  }

  NodeReport reportOf(String node) {
    return cluster.state().report(node, "web");
  }

  /** The coordinator of replica {@code self}, its group tracking {@code received} with max-lag-on-failover 5s. */
  void startReplicaSide(String self, AtomicLong received) {
    EventSink sink = e -> events.add(new Seen(e, System.nanoTime()));
    web = new LocalGroup(self, "web", new ResourceChain(List.of()), Optional.empty(), Optional.empty(), monitor(self, sink),
        monitor(self, sink), null, sink);
    web.trackDatabase(received::get, "transactions", 0, Duration.ofSeconds(5));
    coordinator = new FailoverCoordinator(self, cluster, TIMING, Map.of("web", web), Ticker.system(), sink, null);
    coordinator.start();
  }

  // ---- scenario parts ----------------------------------------------------------------------

  /** Runs a leader (n1) until it has moved web to {@code to}; {@code why} says what happened to the old primary. */
  void leaderMovesWebTo(String to, String why) throws InterruptedException {
    FailoverCoordinator leader = new FailoverCoordinator("n1", leaderView(), TIMING, Map.of(), Ticker.system(),
        e -> events.add(new Seen(e, System.nanoTime())), null);
    try {
      leader.start();
      await().atMost(Duration.ofSeconds(10 * MULTIPLE)).untilAsserted(() -> assertThat(group().primary())
          .as("primary of web, %s; the leader decided: %s", why, leader.decisions().get("web"))
          .isEqualTo(to));
    } finally {
      leader.close();
    }
  }

  /** n2, unfit for web until the time at the end of {@code unfit}'s summary, then reports itself fit. */
  void awaitFitAfterCooldown(NodeReport unfit, String unfitWords) {
    java.time.Instant until = java.time.Instant.parse(unfit.summary().substring(unfit.summary().lastIndexOf(' ') + 1));
    NodeReport fit = await().atMost(PATIENCE).until(() -> cluster.state().report("n2", "web"), NodeReport::passing);
    assertThat(fit.summary()).doesNotContain(unfitWords);
    assertThat(fit.atMillis()).as("reported fit only once the cooldown was over").isGreaterThanOrEqualTo(until.toEpochMilli() - 50);
  }

  void threeVoters() {
    cluster = FakeCluster.withDataNodes("n1", "n2", "n3");
    defineWeb(Map.of("n1", "passive", "n2", "primary", "n3", "active"));
  }

  void defineWeb(Map<String, String> modes) {
    assertThat(cluster.apply(new ClusterCommand.DefineGroup("web", modes, "manual", 0, "n1", "hash")).ok()).isTrue();
  }

  void makePrimary(String node) {
    GroupState g = group();
    var r = cluster.apply(new Promote("web", node, g.epoch(), g.renewals(), SETUP, System.currentTimeMillis()));
    assertThat(r.ok()).as(r.message()).isTrue();
  }

  /** Three voters, n2 primary under epoch 1 with 3 renewals, n1 and n3 reported healthy, n2 silent. */
  void leaderScenario() {
    threeVoters();
    makePrimary("n2");
    for (int i = 0; i < 3; i++) {
      assertThat(cluster.apply(new Renew("web", "n2", 1)).ok()).isTrue();
    }
    cluster.apply(new ClusterCommand.Report(report("n1", true)));
    cluster.apply(new ClusterCommand.Report(report("n3", true)));
    cluster.setPeerSilence(Map.of("n2", Duration.ofSeconds(5), "n3", Duration.ofMillis(50)));
  }

  /** The promotions the coordinator submitted (not the test's setup). */
  List<Promote> leaderPromotions() {
    return cluster.submitted(Promote.class).stream().filter(p -> !p.reason().equals(SETUP)).toList();
  }

  static NodeReport report(String node, boolean passing) {
    return new NodeReport(node, "web", passing, !passing, 0, "no checks", false, 0, System.currentTimeMillis());
  }

  GroupState group() {
    return cluster.state().groups().get("web");
  }

  /** The coordinator of {@code self} with a real local group "web" and a real watchdog, on the system clock. */
  void startPrimarySide(String self) throws Exception {
    service = dir.resolve("service.log");
    watchdog = Watchdog.start(dir.resolve("logs/watchdog.log"), (group, summary) -> fenced.add(group));
    // A JVM takes longer to start than a lease deadline: wait until it answers before anything is armed.
    probeAt(System.nanoTime());
    EventSink sink = e -> events.add(new Seen(e, System.nanoTime()));
    String start = startCommand != null ? startCommand : line("start");
    var chain = new ResourceChain(List.of(new ServiceResource(start, line("stop"), Duration.ofSeconds(10))));
    var checks = new HealthMonitor(self, "web", serviceChecks, Ticker.system(), sink, r -> { });
    web = new LocalGroup(self, "web", chain, Optional.empty(), Optional.empty(), checks, monitor(self, sink),
        watchdog, sink);
    coordinator = new FailoverCoordinator(self, cluster, TIMING, Map.of("web", web), Ticker.system(), sink, watchdog);
    if (retryFirst != null) {
      coordinator.retryBackoff(retryFirst, retryMax);
    }
    coordinator.start();
  }

  /** n1's view of the same log: it is the ready leader (the primary's coordinator reads {@link #cluster}: a follower). */
  Cluster leaderView() {
    return new Cluster() {
      @Override
      public ClusterState state() {
        return cluster.state();
      }

      @Override
      public CompletableFuture<CommandResult> submit(ClusterCommand command, Duration timeout) {
        return cluster.submit(command, timeout);
      }

      @Override
      public boolean isLeaderReady() {
        return true;
      }

      @Override
      public String leader() {
        return "n1";
      }

      @Override
      public Map<String, Duration> peerSilence() {
        return cluster.peerSilence();
      }

      @Override
      public void addListener(ClusterListener listener) {
        cluster.addListener(listener);
      }
    };
  }

  /** The coordinator of {@code self} with no local group (so no watchdog), on the fake ticker. */
  void startLeaderSide(String self) {
    EventSink sink = e -> events.add(new Seen(e, System.nanoTime()));
    coordinator = new FailoverCoordinator(self, cluster, TIMING, Map.of(), ticker, sink, null);
    coordinator.start();
  }

  static HealthMonitor monitor(String self, EventSink sink) {
    return new HealthMonitor(self, "web", List.of(), Ticker.system(), sink, r -> { });
  }

  /** A command appending "what epoch wall-clock-ms" to the service's log. */
  String line(String what) {
    return "echo \"" + what + " $TANDEM_EPOCH $(date +%s%3N)\" >> '" + service + "'";
  }

  List<String> serviceLog() throws IOException {
    return Files.exists(service) ? Files.readAllLines(service) : List.of();
  }

  boolean serviceRunning() {
    try {
      List<String> log = serviceLog();
      return !log.isEmpty() && log.getLast().startsWith("start");
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  static long millisOf(String serviceLine) {
    String[] p = serviceLine.split(" ");
    return Long.parseLong(p[p.length - 1]);
  }

  static double seconds(long nanos) {
    return nanos / 1e9;
  }

  /** Every event of this kind, in order. */
  List<Seen> events(String kind) {
    return events.stream().filter(s -> s.event().kind().equals(kind)).toList();
  }

  /** The first event of this kind, or null. */
  Seen event(String kind) {
    return events.stream().filter(s -> s.event().kind().equals(kind)).findFirst().orElse(null);
  }

  void awaitDecision(String part) {
    await("the leader's decision for web to contain '" + part + "'").atMost(PATIENCE).pollInterval(Duration.ofMillis(20))
        .until(() -> coordinator.decisions().getOrDefault("web", ""), d -> d.contains(part));
  }

  /**
   * Returns once the watchdog has seen {@code deadline} pass and reported everything it fired up to then, using
   * probe groups with empty plans (WatchdogTest's barrier).
   */
  void awaitWatchdogPast(long deadline) throws IOException {
    probeAt(deadline + TimeUnit.MILLISECONDS.toNanos(50));
    probeAt(System.nanoTime()); // deadlines due in the same pass fire in no set order; the next pass comes after
  }

  void probeAt(long deadline) throws IOException {
    String probe = "probe-" + probes.incrementAndGet();
    watchdog.plan(probe, List.of()); // without a plan the watchdog fires silently
    watchdog.arm(probe, deadline);
    await().atMost(PATIENCE).pollInterval(Duration.ofMillis(10)).until(() -> fenced.contains(probe));
    fenced.remove(probe);
  }
}
