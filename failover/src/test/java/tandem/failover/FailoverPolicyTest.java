package tandem.failover;

import static java.time.Duration.ofMillis;
import static java.time.Duration.ofSeconds;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import tandem.core.Mode;

/**
 * The pure failover decision. Time is an input here ({@code sinceRenewal}, {@code healthyFor}), so no clock is
 * needed: each test states how long the primary has been silent and what the leader should do about it.
 */
class FailoverPolicyTest {
  /** 2s lease, 400ms renewals, 300ms margin: promotion is allowed 2.3s after the last renewal seen. */
  static final LeaseTiming TIMING = new LeaseTiming(ofSeconds(2), ofMillis(400), ofMillis(300));

  /** A node that can take over: alive, reported, passing, no weights, healthy for an hour. */
  static Candidate fit(String name, Mode mode) {
    return new Candidate(name, mode, true, true, true, 0, Duration.ofHours(1));
  }

  static Candidate weighted(String name, Mode mode, int weight) {
    return new Candidate(name, mode, true, true, true, weight, Duration.ofHours(1));
  }

  static Candidate unreachable(String name, Mode mode) {
    return new Candidate(name, mode, false, true, true, 0, Duration.ZERO);
  }

  static Candidate unreported(String name, Mode mode) {
    return new Candidate(name, mode, true, false, false, 0, Duration.ZERO);
  }

  static Candidate failing(String name, Mode mode) {
    return new Candidate(name, mode, true, true, false, 0, Duration.ZERO);
  }

  static Candidate healthyFor(String name, Mode mode, Duration healthy) {
    return new Candidate(name, mode, true, true, true, 0, healthy);
  }

  /**
   * Group "web", primary n1 (also the preferred node), 3 voters, lease just renewed, failback manual; override what a
   * test is about.
   */
  static final class Obs {
    String group = "web";
    String primary = "n1";
    boolean paused;
    String switchoverTo;
    List<Candidate> candidates = new ArrayList<>(List.of(fit("n1", Mode.PRIMARY), fit("n2", Mode.ACTIVE),
        fit("n3", Mode.PASSIVE)));
    Duration sinceRenewal = Duration.ZERO;
    boolean primaryCriticalFailing;
    boolean failbackAuto;
    Duration failbackAfter = ofSeconds(30);
    int voters = 3;
    boolean neverHadPrimary;
    String preferred = "n1";

    Obs primary(String p) {
      primary = p;
      return this;
    }

    /** No primary now, but the group ran before (a release without target). */
    Obs noPrimary() {
      primary = null;
      return this;
    }

    Obs paused() {
      paused = true;
      return this;
    }

    Obs switchoverTo(String to) {
      switchoverTo = to;
      return this;
    }

    Obs candidates(Candidate... cs) {
      candidates = List.of(cs);
      return this;
    }

    Obs silentFor(Duration d) {
      sinceRenewal = d;
      return this;
    }

    /** The primary's lease is over: the leader has not seen a renewal for promoteAfter. */
    Obs leaseOver() {
      return silentFor(TIMING.promoteAfter());
    }

    Obs criticalFailingOnPrimary() {
      primaryCriticalFailing = true;
      return this;
    }

    Obs failbackAuto(Duration after) {
      failbackAuto = true;
      failbackAfter = after;
      return this;
    }

    Obs voters(int n) {
      voters = n;
      return this;
    }

    /** The group has never run anywhere (epoch 0). */
    Obs firstStart() {
      primary = null;
      neverHadPrimary = true;
      return this;
    }

    Obs preferred(String node) {
      preferred = node;
      return this;
    }

    Decision decide() {
      return FailoverPolicy.decide(new Observation(group, primary, paused, switchoverTo, candidates, sinceRenewal,
          primaryCriticalFailing, failbackAuto, failbackAfter, voters, TIMING, neverHadPrimary, preferred));
    }
  }

  static Obs obs() {
    return new Obs();
  }

  @Nested
  class WhileTheLeaseRuns {
    @Test
    void primaryJustRenewed_stays() {
      assertThat(obs().decide()).isInstanceOf(Decision.Stay.class);
    }

    @Test
    void primarySilentForHalfTheLease_stillStays() {
      assertThat(obs().silentFor(ofSeconds(1)).decide()).isInstanceOf(Decision.Stay.class);
    }

    @Test
    void primarySilentForMoreThanHalfTheLease_waitsWithTheTimeLeftBeforePromotion() {
      Decision d = obs().silentFor(ofMillis(1500)).decide();

      assertThat(d).isInstanceOfSatisfying(Decision.Wait.class, w -> {
        assertThat(w.remaining()).isEqualTo(ofMillis(800));
        assertThat(w.why()).contains("n1").contains("1.5s").contains("800ms");
      });
    }

    @Test
    void primarySilentForExactlyTheLease_waitsForTheMarginToo() {
      Decision d = obs().silentFor(TIMING.lease()).decide();

      assertThat(d).isInstanceOfSatisfying(Decision.Wait.class,
          w -> assertThat(w.remaining()).isEqualTo(TIMING.promoteMargin()));
    }

    @Test
    void primarySilentOneNanosecondShortOfPromoteAfter_isNotYetReplaced() {
      Decision d = obs().silentFor(TIMING.promoteAfter().minusNanos(1)).decide();

      assertThat(d).isInstanceOfSatisfying(Decision.Wait.class,
          w -> assertThat(w.remaining()).isEqualTo(Duration.ofNanos(1)));
    }
  }

  @Nested
  class PrimaryLost {
    @Test
    void leaseOverWithThreeVoters_promotesTheBestOtherNode() {
      Decision d = obs().leaseOver().decide();

      assertThat(d).isInstanceOfSatisfying(Decision.Promote.class, p -> {
        assertThat(p.node()).isEqualTo("n2");
        assertThat(p.why()).contains("n1").contains("lease over").contains("active, score 90");
      });
    }

    @Test
    void leaseLongOver_stillPromotes() {
      assertThat(obs().silentFor(Duration.ofMinutes(10)).decide()).isInstanceOf(Decision.Promote.class);
    }

    @Test
    void lostPrimaryReportedAsAliveAndBest_isNeverPromotedAgain() {
      // The leader may still list the silent primary as alive (e.g. its agent hangs but Raft answers).
      Decision d = obs().leaseOver().candidates(weighted("n1", Mode.PRIMARY, 50), fit("n2", Mode.PASSIVE)).decide();

      assertThat(d).isInstanceOfSatisfying(Decision.Promote.class, p -> assertThat(p.node()).isEqualTo("n2"));
    }

    @Test
    void twoVoters_primaryLost_isStuckAndPointsAtForce() {
      Decision d = obs().voters(2).leaseOver().candidates(fit("n1", Mode.PRIMARY), fit("n2", Mode.ACTIVE)).decide();

      assertThat(d).isInstanceOfSatisfying(Decision.Stuck.class, s -> assertThat(s.why())
          .contains("--force").contains("tandem failover web").contains("2 voting nodes").contains("n1"));
    }

    @Test
    void singleVoter_primaryLost_isStuckRatherThanPromoting() {
      Decision d = obs().voters(1).leaseOver().decide();

      assertThat(d).isInstanceOfSatisfying(Decision.Stuck.class, s -> assertThat(s.why()).contains("--force"));
    }

    @Test
    void noOtherNodeFit_isStuckNamingWhyEachIsUnfit() {
      Decision d = obs().leaseOver()
          .candidates(fit("n1", Mode.PRIMARY), unreachable("n2", Mode.ACTIVE), failing("n3", Mode.PASSIVE)).decide();

      assertThat(d).isInstanceOfSatisfying(Decision.Stuck.class, s -> assertThat(s.why())
          .contains("no other node can take over").endsWith(": n2 is unreachable; n3 fails a critical check"));
    }

    @Test
    void onlyThePrimaryInTheGroup_isStuckSayingThereIsNoOtherNode() {
      Decision d = obs().leaseOver().candidates(fit("n1", Mode.PRIMARY)).decide();

      assertThat(d).isInstanceOfSatisfying(Decision.Stuck.class,
          s -> assertThat(s.why()).contains("no other data node"));
    }
  }

  @Nested
  class CandidateChoice {
    static Stream<Arguments> unfitButHighScoring() {
      // Each would win on score (weight 100) if it were fit.
      return Stream.of(
          Arguments.of(new Candidate("n2", Mode.OFF, true, true, true, 500, Duration.ofHours(1)), "n2 has mode off"),
          Arguments.of(new Candidate("n2", Mode.PRIMARY, false, true, true, 100, Duration.ZERO), "n2 is unreachable"),
          Arguments.of(new Candidate("n2", Mode.PRIMARY, true, false, false, 100, Duration.ZERO),
              "n2 has not reported its health yet"),
          Arguments.of(new Candidate("n2", Mode.PRIMARY, true, true, false, 100, Duration.ZERO),
              "n2 fails a critical check"));
    }

    @ParameterizedTest(name = "{1}")
    @MethodSource("unfitButHighScoring")
    void unfitNode_isNeverPromotedWhateverItsScore(Candidate unfit, String reason) {
      assertThat(unfit.unfitReason()).isEqualTo(reason);

      Decision d = obs().leaseOver().candidates(fit("n1", Mode.PRIMARY), unfit, fit("n3", Mode.PASSIVE)).decide();

      assertThat(d).isInstanceOfSatisfying(Decision.Promote.class, p -> assertThat(p.node()).isEqualTo("n3"));
    }

    @Test
    void replicaFurtherBehindThanMaxLag_isNotPromoted_evenWithTheBestScore() {
      Candidate behind = new Candidate("n2", Mode.ACTIVE, true, true, true, 0, Duration.ofHours(1), 1_000, 40 << 20, 16 << 20);
      Candidate close = new Candidate("n3", Mode.PASSIVE, true, true, true, 0, Duration.ofHours(1), 40 << 20, 1_000, 16 << 20);

      Decision d = obs().leaseOver().candidates(fit("n1", Mode.PRIMARY), behind, close).decide();

      assertThat(behind.unfitReason()).startsWith("n2 is 41943040 bytes of WAL behind the old primary (max-lag-on-failover 16777216)");
      assertThat(d).isInstanceOfSatisfying(Decision.Promote.class, p -> assertThat(p.node()).isEqualTo("n3"));
    }

    @Test
    void everyReplicaTooFarBehind_isStuck_sayingWhy() {
      Candidate behind = new Candidate("n2", Mode.ACTIVE, true, true, true, 0, Duration.ofHours(1), 1_000, 40 << 20, 16 << 20);

      Decision d = obs().leaseOver().candidates(fit("n1", Mode.PRIMARY), behind).decide();

      assertThat(d).isInstanceOfSatisfying(Decision.Stuck.class, s -> assertThat(s.why()).contains("bytes of WAL behind"));
    }

    @Test
    void amongEligibleReplicas_theFurthestPositionWins_overAHigherScore() {
      Candidate active = new Candidate("n2", Mode.ACTIVE, true, true, true, 0, Duration.ofHours(1), 5_000, 100, 16 << 20);
      Candidate passive = new Candidate("n3", Mode.PASSIVE, true, true, true, 0, Duration.ofHours(1), 5_100, 0, 16 << 20);

      Decision d = obs().leaseOver().candidates(fit("n1", Mode.PRIMARY), active, passive).decide();

      assertThat(d).isInstanceOfSatisfying(Decision.Promote.class, p -> {
        assertThat(p.node()).isEqualTo("n3");
        assertThat(p.why()).contains("position 5100");
      });
    }

    @Test
    void lagUnknown_doesNotBlockPromotion() {
      Candidate unknown = new Candidate("n2", Mode.ACTIVE, true, true, true, 0, Duration.ofHours(1), -1, -1, 16 << 20);

      assertThat(unknown.unfitReason()).isNull();
    }

    /** A MariaDB replica whose max-lag-on-failover is a time (5s), {@code lagMillis} behind at the old primary's last report. */
    static Candidate behindInTime(String name, Mode mode, long position, long lagMillis) {
      return new Candidate(name, mode, true, true, true, 0, Duration.ofHours(1), position, 1, 0, "transactions", lagMillis,
          5_000);
    }

    @Test
    void replicaFurtherBehindInTimeThanMaxLag_isNotPromoted_andTheReasonGivesBothTimes() {
      Candidate behind = behindInTime("n2", Mode.PRIMARY, 900, 7_500);
      Candidate close = behindInTime("n3", Mode.PASSIVE, 800, 4_000);

      Decision d = obs().leaseOver().candidates(fit("n1", Mode.ACTIVE), behind, close).decide();

      assertThat(behind.unfitReason()).isEqualTo("n2 was 7.5s behind the old primary at its last report"
          + " (max-lag-on-failover 5s): promoting it would lose the writes of that time; fail over by hand if you accept that");
      assertThat(close.unfitReason()).isNull();
      assertThat(d).isInstanceOfSatisfying(Decision.Promote.class, p -> assertThat(p.node()).isEqualTo("n3"));
    }

    @Test
    void lagInTimeExactlyAtTheLimit_isPromoted() {
      assertThat(behindInTime("n2", Mode.ACTIVE, 900, 5_000).unfitReason()).isNull();
      assertThat(behindInTime("n2", Mode.ACTIVE, 900, 5_001).unfitReason()).startsWith("n2 was 5.0s behind");
    }

    @Test
    void everyReplicaTooFarBehindInTime_isStuck_andTheSentenceNamesTheLag() {
      Decision d = obs().leaseOver().candidates(fit("n1", Mode.PRIMARY), behindInTime("n2", Mode.ACTIVE, 900, 12_000))
          .decide();

      assertThat(d).isInstanceOfSatisfying(Decision.Stuck.class,
          s -> assertThat(s.why()).contains("n2 was 12s behind the old primary").contains("(max-lag-on-failover 5s)"));
    }

    @Test
    void replicaNeverCaughtUpWithTheOldPrimary_isNotPromotedWithATimeLimit() {
      Candidate never = behindInTime("n2", Mode.ACTIVE, 900, Candidate.NEVER_CAUGHT_UP);

      assertThat(never.unfitReason()).startsWith("n2 never had all the old primary had reported (max-lag-on-failover 5s)");
    }

    @Test
    void lagInTimeUnknown_doesNotBlockPromotion_likeAnUnknownCount() {
      assertThat(behindInTime("n2", Mode.ACTIVE, -1, -1).unfitReason()).isNull();
    }

    @Test
    void countLimit_namesTheUnitItCounts() {
      Candidate behind = new Candidate("n2", Mode.ACTIVE, true, true, true, 0, Duration.ofHours(1), 10, 1_500, 1_000,
          "transactions", -1, 0);

      assertThat(behind.unfitReason()).startsWith("n2 is 1500 transactions behind the old primary (max-lag-on-failover 1000)");
    }

    @Test
    void scores_primaryModeBeatsActiveBeatsPassive() {
      assertThat(fit("a", Mode.PRIMARY).score()).isEqualTo(100);
      assertThat(fit("a", Mode.ACTIVE).score()).isEqualTo(90);
      assertThat(fit("a", Mode.PASSIVE).score()).isEqualTo(80);
      assertThat(weighted("a", Mode.PASSIVE, 15).score()).isEqualTo(95);
      assertThat(weighted("a", Mode.PRIMARY, -30).score()).isEqualTo(70);
    }

    @Test
    void noPrimary_preferredNodeWinsOverReplicas() {
      Decision d = obs().noPrimary()
          .candidates(fit("a", Mode.PASSIVE), fit("b", Mode.ACTIVE), fit("c", Mode.PRIMARY)).decide();

      assertThat(d).isInstanceOfSatisfying(Decision.Promote.class, p -> assertThat(p.node()).isEqualTo("c"));
    }

    @Test
    void primaryLost_activeReplicaWinsOverPassive() {
      Decision d = obs().leaseOver()
          .candidates(fit("n1", Mode.PRIMARY), fit("a", Mode.PASSIVE), fit("b", Mode.ACTIVE)).decide();

      assertThat(d).isInstanceOfSatisfying(Decision.Promote.class, p -> assertThat(p.node()).isEqualTo("b"));
    }

    @Test
    void weight_canLiftAPassiveNodeAboveAnActiveOne() {
      Decision d = obs().leaseOver()
          .candidates(fit("n1", Mode.PRIMARY), weighted("a", Mode.PASSIVE, 20), fit("b", Mode.ACTIVE)).decide();

      assertThat(d).isInstanceOfSatisfying(Decision.Promote.class, p -> assertThat(p.node()).isEqualTo("a"));
    }

    @Test
    void negativeWeight_dropsAnActiveNodeBelowAPassiveOne() {
      Decision d = obs().leaseOver()
          .candidates(fit("n1", Mode.PRIMARY), weighted("a", Mode.ACTIVE, -20), fit("b", Mode.PASSIVE)).decide();

      assertThat(d).isInstanceOfSatisfying(Decision.Promote.class, p -> assertThat(p.node()).isEqualTo("b"));
    }

    @Test
    void equalScores_lowestNameWinsWhateverTheListOrder() {
      Decision d = obs().leaseOver()
          .candidates(fit("n4", Mode.ACTIVE), fit("n1", Mode.PRIMARY), fit("n3", Mode.ACTIVE), fit("n2", Mode.ACTIVE))
          .decide();

      assertThat(d).isInstanceOfSatisfying(Decision.Promote.class, p -> assertThat(p.node()).isEqualTo("n2"));
    }
  }

  @Nested
  class Paused {
    @Test
    void pausedGroup_primaryLost_staysAndSaysHowToResume() {
      Decision d = obs().paused().leaseOver().decide();

      assertThat(d).isInstanceOfSatisfying(Decision.Stay.class,
          s -> assertThat(s.why()).contains("paused").contains("tandem resume web"));
    }

    @Test
    void pausedGroup_criticalCheckFailsOnPrimary_stays() {
      assertThat(obs().paused().criticalFailingOnPrimary().decide()).isInstanceOf(Decision.Stay.class);
    }

    @Test
    void pausedGroupWithoutPrimary_promotesNobody() {
      assertThat(obs().paused().noPrimary().decide()).isInstanceOf(Decision.Stay.class);
    }
  }

  @Nested
  class NoPrimary {
    @Test
    void groupWithoutPrimary_promotesTheBestNode() {
      Decision d = obs().noPrimary().decide();

      assertThat(d).isInstanceOfSatisfying(Decision.Promote.class, p -> {
        assertThat(p.node()).isEqualTo("n1");
        assertThat(p.why()).contains("no primary").contains("primary, score 100");
      });
    }

    @Test
    void groupWithoutPrimaryAndTwoVoters_stillPromotes() {
      // Nobody holds a lease, so nothing can run twice: two voters with a quorum may elect.
      assertThat(obs().noPrimary().voters(2).decide()).isInstanceOf(Decision.Promote.class);
    }

    @Test
    void groupWithoutPrimaryAndNoFitNode_isStuckNamingWhyEachNodeIsUnfit() {
      Decision d = obs().noPrimary().candidates(new Candidate("n1", Mode.OFF, true, true, true, 0, Duration.ZERO),
          unreachable("n2", Mode.PRIMARY), unreported("n3", Mode.ACTIVE), failing("n4", Mode.PASSIVE)).decide();

      assertThat(d).isInstanceOfSatisfying(Decision.Stuck.class, s -> assertThat(s.why())
          .contains("no primary")
          .contains("n1 has mode off")
          .contains("n2 is unreachable")
          .contains("n3 has not reported its health yet")
          .contains("n4 fails a critical check"));
    }
  }

  @Nested
  class FirstStart {
    @Test
    void groupThatNeverRan_startsOnItsPreferredNodeEvenIfAnotherScoresHigher() {
      Decision d = obs().firstStart()
          .candidates(fit("n1", Mode.PRIMARY), weighted("n2", Mode.ACTIVE, 50), fit("n3", Mode.PASSIVE)).decide();

      assertThat(d).isInstanceOfSatisfying(Decision.Promote.class, p -> {
        assertThat(p.node()).isEqualTo("n1");
        assertThat(p.why()).contains("first start").contains("preferred node n1");
      });
    }

    @Test
    void groupThatNeverRan_preferredNodeUnfit_waitsForItInsteadOfStartingElsewhere() {
      Decision d = obs().firstStart()
          .candidates(unreachable("n1", Mode.PRIMARY), fit("n2", Mode.ACTIVE), fit("n3", Mode.PASSIVE)).decide();

      assertThat(d).isInstanceOfSatisfying(Decision.Stuck.class, s -> assertThat(s.why())
          .contains("web has never run")
          .contains("n1 is unreachable")
          .contains("tandem failover web --to <node> --force"));
    }

    @Test
    void groupThatNeverRan_preferredNodeNotInThisCluster_isStuckSayingSo() {
      // A node that bootstrapped a cluster of its own by mistake must not start the group.
      Decision d = obs().firstStart().preferred("n1").candidates(fit("n2", Mode.ACTIVE)).decide();

      assertThat(d).isInstanceOfSatisfying(Decision.Stuck.class,
          s -> assertThat(s.why()).contains("n1 has not joined this cluster").contains("--force"));
    }

    @Test
    void groupThatNeverRanWithoutPreferredNode_startsOnTheBestNode() {
      Decision d = obs().firstStart().preferred(null)
          .candidates(fit("n1", Mode.PASSIVE), fit("n2", Mode.ACTIVE)).decide();

      assertThat(d).isInstanceOfSatisfying(Decision.Promote.class, p -> assertThat(p.node()).isEqualTo("n2"));
    }

    @Test
    void groupReleasedWithoutTarget_preferredNodeUnfit_promotesTheBestOtherNode() {
      // Not a first start: the group ran before, so any fit node may take it.
      Decision d = obs().noPrimary()
          .candidates(unreachable("n1", Mode.PRIMARY), fit("n2", Mode.ACTIVE)).decide();

      assertThat(d).isInstanceOfSatisfying(Decision.Promote.class, p -> assertThat(p.node()).isEqualTo("n2"));
    }

    @Test
    void pausedGroupThatNeverRan_staysStopped() {
      assertThat(obs().paused().firstStart().decide()).isInstanceOf(Decision.Stay.class);
    }
  }

  @Nested
  class CriticalCheckOnPrimary {
    @Test
    void criticalCheckFailsOnLivePrimary_switchesOverToTheBestOtherNode() {
      Decision d = obs().criticalFailingOnPrimary().decide();

      assertThat(d).isInstanceOfSatisfying(Decision.Switchover.class, s -> {
        assertThat(s.node()).isEqualTo("n2");
        assertThat(s.why()).contains("critical check fails on n1");
      });
    }

    @Test
    void criticalCheckFailsOnLivePrimary_neverSwitchesToThePrimaryItself() {
      Decision d = obs().criticalFailingOnPrimary()
          .candidates(weighted("n1", Mode.PRIMARY, 100), fit("n2", Mode.PASSIVE)).decide();

      assertThat(d).isInstanceOfSatisfying(Decision.Switchover.class, s -> assertThat(s.node()).isEqualTo("n2"));
    }

    @Test
    void criticalCheckFailsOnLivePrimaryAndNoOtherNodeFit_isStuckNamingWhy() {
      Decision d = obs().criticalFailingOnPrimary()
          .candidates(fit("n1", Mode.PRIMARY), unreachable("n2", Mode.ACTIVE), unreported("n3", Mode.PASSIVE))
          .decide();

      assertThat(d).isInstanceOfSatisfying(Decision.Stuck.class, s -> assertThat(s.why())
          .contains("critical check fails on n1")
          .contains("n2 is unreachable")
          .contains("n3 has not reported its health yet"));
    }
  }

  @Nested
  class Failback {
    /** n2 took over from the preferred node n1, which is back and healthy for an hour. */
    Obs afterFailover() {
      return obs().primary("n2");
    }

    @Test
    void failbackManual_preferredNodeHealthyAgain_neverMovesBack() {
      assertThat(afterFailover().decide()).isInstanceOf(Decision.Stay.class);
    }

    @Test
    void failbackAuto_preferredNodeNotHealthyLongEnough_waitsForTheRest() {
      Decision d = afterFailover()
          .candidates(healthyFor("n1", Mode.PRIMARY, ofSeconds(10)), fit("n2", Mode.ACTIVE))
          .failbackAuto(ofSeconds(30)).decide();

      assertThat(d).isInstanceOfSatisfying(Decision.Wait.class, w -> {
        assertThat(w.remaining()).isEqualTo(ofSeconds(20));
        assertThat(w.why()).contains("failback to n1");
      });
    }

    @Test
    void failbackAuto_preferredNodeHealthyForFailbackAfter_switchesOverToIt() {
      Decision d = afterFailover()
          .candidates(healthyFor("n1", Mode.PRIMARY, ofSeconds(30)), fit("n2", Mode.ACTIVE))
          .failbackAuto(ofSeconds(30)).decide();

      assertThat(d).isInstanceOfSatisfying(Decision.Switchover.class, s -> {
        assertThat(s.node()).isEqualTo("n1");
        assertThat(s.why()).contains("failback");
      });
    }

    @Test
    void failbackAuto_preferredNodeUnfit_stays() {
      Decision d = afterFailover().candidates(failing("n1", Mode.PRIMARY), fit("n2", Mode.ACTIVE))
          .failbackAuto(ofSeconds(30)).decide();

      assertThat(d).isInstanceOf(Decision.Stay.class);
    }

    @Test
    void failbackAuto_preferredNodeIsAlreadyPrimary_stays() {
      assertThat(obs().failbackAuto(ofSeconds(30)).decide()).isInstanceOf(Decision.Stay.class);
    }

    @Test
    void failbackAuto_noPreferredNodeInGroup_stays() {
      Decision d = afterFailover().candidates(fit("n1", Mode.PASSIVE), fit("n2", Mode.ACTIVE))
          .failbackAuto(ofSeconds(30)).decide();

      assertThat(d).isInstanceOf(Decision.Stay.class);
    }
  }

  @Nested
  class PendingSwitchover {
    @Test
    void switchoverPendingAndPrimaryAlive_staysWhileItHandsOver() {
      Decision d = obs().switchoverTo("n3").decide();

      assertThat(d).isInstanceOfSatisfying(Decision.Stay.class,
          s -> assertThat(s.why()).contains("switchover").contains("n1").contains("n3"));
    }

    @Test
    void switchoverPendingAndPrimarySilentForMostOfTheLease_stillLeavesItToThePrimary() {
      assertThat(obs().switchoverTo("n3").silentFor(ofMillis(2200)).decide()).isInstanceOf(Decision.Stay.class);
    }

    @Test
    void switchoverPendingAndPrimaryLeaseRanOut_promotesTheTargetEvenIfNotTheBest() {
      Decision d = obs().switchoverTo("n3").leaseOver().decide();

      assertThat(d).isInstanceOfSatisfying(Decision.Promote.class, p -> assertThat(p.node()).isEqualTo("n3"));
    }

    @Test
    void switchoverPendingAndPrimaryLeaseRanOut_unfitTargetIsReplacedByTheBestNode() {
      Decision d = obs().switchoverTo("n3").leaseOver()
          .candidates(fit("n1", Mode.PRIMARY), fit("n2", Mode.ACTIVE), unreachable("n3", Mode.PASSIVE)).decide();

      assertThat(d).isInstanceOfSatisfying(Decision.Promote.class, p -> assertThat(p.node()).isEqualTo("n2"));
    }

    @Test
    void switchoverPendingAndPrimaryLeaseRanOutWithTwoVoters_isStuck() {
      Decision d = obs().voters(2).switchoverTo("n2").leaseOver()
          .candidates(fit("n1", Mode.PRIMARY), fit("n2", Mode.ACTIVE)).decide();

      assertThat(d).isInstanceOfSatisfying(Decision.Stuck.class, s -> assertThat(s.why()).contains("--force"));
    }
  }

  @Nested
  class LeaseArithmetic {
    static Stream<LeaseTiming> timings() {
      return Stream.of(TIMING,
          new LeaseTiming(ofMillis(100), ofMillis(30), ofMillis(10)),
          new LeaseTiming(ofMillis(1001), ofMillis(300), ofMillis(1)),
          new LeaseTiming(ofMillis(7), ofMillis(2), ofMillis(1)),
          new LeaseTiming(ofSeconds(60), ofSeconds(10), ofSeconds(5)),
          new LeaseTiming(ofSeconds(2), ofMillis(400), Duration.ZERO));
    }

    @Test
    void defaultTiming_agentFencesAt1500ms_watchdogAt1700ms_promotionAt2300ms() {
      assertThat(TIMING.lease().minus(TIMING.fenceLead())).isEqualTo(ofMillis(1500));
      assertThat(TIMING.lease().minus(TIMING.watchdogLead())).isEqualTo(ofMillis(1700));
      assertThat(TIMING.promoteAfter()).isEqualTo(ofMillis(2300));
    }

    @ParameterizedTest
    @MethodSource("timings")
    void oldPrimaryStopsBeforeItsLeaseEnds_andTheLeaderPromotesNoEarlierThanTheLeaseEnd(LeaseTiming t) {
      Duration agentFences = t.lease().minus(t.fenceLead());
      Duration watchdogFences = t.lease().minus(t.watchdogLead());

      // The agent stops the group itself first; the watchdog is the backstop if the agent hangs.
      assertThat(agentFences).isPositive().isLessThan(watchdogFences);
      // Both stop strictly before the lease ends...
      assertThat(watchdogFences).isLessThan(t.lease());
      // ...and the leader, which saw the renewal no earlier than the primary made it, waits at least the lease.
      assertThat(t.promoteAfter()).isGreaterThanOrEqualTo(t.lease()).isEqualTo(t.lease().plus(t.promoteMargin()));
      // A renewal is due well before the agent would fence itself.
      assertThat(t.renewInterval()).isLessThan(agentFences);
    }

    @Test
    void positiveMargin_promotionComesStrictlyAfterTheLease() {
      assertThat(TIMING.promoteAfter()).isGreaterThan(TIMING.lease());
    }
  }
}
