package tandem.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The pure state machine of the cluster: every test applies commands to a snapshot and checks the new snapshot and
 * the result. Refusals must leave the state as it was (apart from the applied log index).
 */
class ClusterStateTest {
  static final long NOW = 1_800_000_000_000L;
  static final long HOUR = 3_600_000L;

  /** A base32 SHA-256 look-alike (52 characters), distinct per seed. */
  static String certId(String seed) {
    StringBuilder s = new StringBuilder();
    for (char ch : seed.toCharArray()) {
      s.append((char) ('A' + ch % 26));
    }
    return (s + "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567".repeat(2)).substring(0, 52);
  }

  static Member member(String name) {
    return member(name, certId("cert" + name), false);
  }

  static Member witness(String name) {
    return member(name, certId("cert" + name), true);
  }

  static Member member(String name, String nodeId, boolean witness) {
    return new Member(name, nodeId, "-----BEGIN CERTIFICATE-----\n" + name + "\n-----END CERTIFICATE-----",
        "10.0.0.1:7400", "10.0.0.1:7401", "10.0.0.1:8400", witness, NOW);
  }

  /** A chain of applied commands with growing log indexes. */
  static final class Log {
    ClusterState state;
    CommandResult last;
    long index;

    Log(ClusterState start) {
      this.state = start;
      this.index = start.index();
    }

    CommandResult apply(ClusterCommand c) {
      ClusterState.Applied a = state.apply(c, ++index);
      state = a.state();
      last = a.result();
      return last;
    }

    GroupState group(String name) {
      return state.groups().get(name);
    }
  }

  static Log empty() {
    return new Log(ClusterState.empty());
  }

  /** Cluster "shop" bootstrapped by n1. */
  static Log bootstrapped() {
    Log l = empty();
    assertThat(l.apply(new ClusterCommand.Bootstrap("shop", member("n1"))).ok()).isTrue();
    return l;
  }

  static Log joined(Log l, Member m) {
    String token = "hash-" + m.name();
    assertThat(l.apply(new ClusterCommand.CreateInvite(token, "n1", NOW + HOUR)).ok()).isTrue();
    CommandResult r = l.apply(new ClusterCommand.Join(token, m, NOW));
    assertThat(r.ok()).as(r.message()).isTrue();
    return l;
  }

  /** n1, n2, n3 data nodes; group web (n1 primary mode) defined, no primary yet. */
  static Log threeNodesWithGroup() {
    Log l = bootstrapped();
    joined(l, member("n2"));
    joined(l, member("n3"));
    l.apply(new ClusterCommand.DefineGroup("web", Map.of("n1", "primary", "n2", "active", "n3", "passive"), "manual",
        30_000, "n1", "h1"));
    return l;
  }

  /** As {@link #threeNodesWithGroup()}, with n1 promoted: primary n1, epoch 1, no renewals. */
  static Log withPrimaryN1() {
    Log l = threeNodesWithGroup();
    CommandResult r = l.apply(new ClusterCommand.Promote("web", "n1", 0, 0, "first primary", NOW));
    assertThat(r.ok()).as(r.message()).isTrue();
    return l;
  }

  @Nested
  class Bootstrap {
    @Test
    void bootstrap_makesTheFirstNodeTheOnlyMemberAndVoterOfGenerationOne() {
      Log l = empty();

      CommandResult r = l.apply(new ClusterCommand.Bootstrap("shop", member("n1")));

      assertThat(r.ok()).isTrue();
      assertThat(l.state.bootstrapped()).isTrue();
      assertThat(l.state.cluster()).isEqualTo("shop");
      assertThat(l.state.generation()).isEqualTo(1);
      assertThat(l.state.members()).containsOnlyKeys("n1");
      assertThat(l.state.voters()).containsExactly("n1");
      assertThat(l.state.index()).isEqualTo(1);
    }

    @Test
    void secondBootstrap_isRefusedAndChangesNothing() {
      Log l = bootstrapped();
      ClusterState before = l.state;

      CommandResult r = l.apply(new ClusterCommand.Bootstrap("other", member("x1")));

      assertThat(r.ok()).isFalse();
      assertThat(r.message()).contains("already bootstrapped").contains("shop");
      assertThat(l.state).isEqualTo(at(before, l.index));
    }
  }

  static ClusterState at(ClusterState s, long index) {
    return new ClusterState(s.cluster(), s.generation(), s.members(), s.voters(), s.groups(), s.invites(), s.reports(),
        index);
  }

  @Nested
  class Join {
    @Test
    void validToken_addsAMemberThatVotes_andMarksTheTokenUsed() {
      Log l = bootstrapped();
      l.apply(new ClusterCommand.CreateInvite("h2", "n1", NOW + HOUR));

      CommandResult r = l.apply(new ClusterCommand.Join("h2", member("n2"), NOW));

      assertThat(r.ok()).isTrue();
      assertThat(r.message()).contains("n2 joined cluster shop");
      assertThat(l.state.members()).containsOnlyKeys("n1", "n2");
      assertThat(l.state.voters()).containsExactly("n1", "n2");
      assertThat(l.state.invites().get("h2").usedBy()).isEqualTo("n2");
    }

    @Test
    void witness_votesButHoldsNoData() {
      Log l = joined(bootstrapped(), witness("w1"));

      assertThat(l.state.voters()).containsExactly("n1", "w1");
      assertThat(l.state.dataVoters()).extracting(Member::name).containsExactly("n1");
      assertThat(l.last.message()).contains("(witness)");
    }

    @Test
    void unknownToken_isRefusedAndSaysHowToGetOne() {
      Log l = bootstrapped();
      ClusterState before = l.state;

      CommandResult r = l.apply(new ClusterCommand.Join("nope", member("n2"), NOW));

      assertThat(r.ok()).isFalse();
      assertThat(r.message()).contains("not known").contains("tandem invite");
      assertThat(l.state).isEqualTo(at(before, l.index));
    }

    @Test
    void reusedToken_isRefusedSayingAlreadyUsed() {
      Log l = bootstrapped();
      l.apply(new ClusterCommand.CreateInvite("h2", "n1", NOW + HOUR));
      l.apply(new ClusterCommand.Join("h2", member("n2"), NOW));
      ClusterState before = l.state;

      CommandResult r = l.apply(new ClusterCommand.Join("h2", member("n3"), NOW + 1));

      assertThat(r.ok()).isFalse();
      assertThat(r.message()).contains("already used").contains("n2");
      assertThat(l.state.members()).doesNotContainKey("n3");
      assertThat(l.state).isEqualTo(at(before, l.index));
    }

    @Test
    void expiredToken_isRefused() {
      Log l = bootstrapped();
      l.apply(new ClusterCommand.CreateInvite("h2", "n1", NOW));

      CommandResult r = l.apply(new ClusterCommand.Join("h2", member("n2"), NOW + 1));

      assertThat(r.ok()).isFalse();
      assertThat(r.message()).contains("expired");
      assertThat(l.state.members()).containsOnlyKeys("n1");
    }

    @Test
    void tokenUsedAtItsExpiryMillisecond_isStillAccepted() {
      Log l = bootstrapped();
      l.apply(new ClusterCommand.CreateInvite("h2", "n1", NOW));

      assertThat(l.apply(new ClusterCommand.Join("h2", member("n2"), NOW)).ok()).isTrue();
    }

    @Test
    void sameNameWithAnotherCertificate_isRefused() {
      Log l = joined(bootstrapped(), member("n2"));
      l.apply(new ClusterCommand.CreateInvite("h3", "n1", NOW + HOUR));
      ClusterState before = l.state;

      CommandResult r = l.apply(new ClusterCommand.Join("h3", member("n2", certId("impostor"), false), NOW));

      assertThat(r.ok()).isFalse();
      assertThat(r.message()).contains("already a member with another certificate").contains("n2");
      assertThat(l.state.members().get("n2").nodeId()).isEqualTo(certId("certn2"));
      assertThat(l.state).isEqualTo(at(before, l.index));
    }

    @Test
    void certificateOfAnotherMemberUnderANewName_isRefused() {
      Log l = joined(bootstrapped(), member("n2"));
      l.apply(new ClusterCommand.CreateInvite("h3", "n1", NOW + HOUR));

      CommandResult r = l.apply(new ClusterCommand.Join("h3", member("n9", certId("certn2"), false), NOW));

      assertThat(r.ok()).isFalse();
      assertThat(r.message()).contains("already belongs to member n2");
      assertThat(l.state.members()).doesNotContainKey("n9");
    }

    @Test
    void sameNodeRejoiningWithItsOwnCertificate_isAcceptedWithoutADuplicateVoter() {
      Log l = joined(bootstrapped(), member("n2"));
      l.apply(new ClusterCommand.CreateInvite("again", "n1", NOW + HOUR));

      assertThat(l.apply(new ClusterCommand.Join("again", member("n2"), NOW)).ok()).isTrue();
      assertThat(l.state.voters()).containsExactly("n1", "n2");
    }

    @Test
    void newInvite_dropsInvitesExpiredForMoreThanADay() {
      Log l = bootstrapped();
      l.apply(new ClusterCommand.CreateInvite("old", "n1", NOW));
      l.apply(new ClusterCommand.CreateInvite("recent", "n1", NOW + 20 * HOUR));

      l.apply(new ClusterCommand.CreateInvite("new", "n1", NOW + 25 * HOUR));

      assertThat(l.state.invites()).containsOnlyKeys("recent", "new");
    }
  }

  @Nested
  class Groups {
    @Test
    void defineGroup_createsItWithoutPrimaryAtEpochZero() {
      GroupState g = threeNodesWithGroup().group("web");

      assertThat(g.primary()).isNull();
      assertThat(g.epoch()).isZero();
      assertThat(g.renewals()).isZero();
      assertThat(g.modeOf("n2")).isEqualTo("active");
      assertThat(g.modeOf("n9")).isEqualTo("off");
      assertThat(g.definedBy()).isEqualTo("n1");
    }

    @Test
    void redefiningAGroup_keepsItsPrimaryEpochAndRenewals() {
      Log l = withPrimaryN1();
      l.apply(new ClusterCommand.Renew("web", "n1", 1));

      l.apply(new ClusterCommand.DefineGroup("web", Map.of("n1", "passive", "n2", "primary"), "auto", 5_000, "n2", "h2"));

      GroupState g = l.group("web");
      assertThat(g.primary()).isEqualTo("n1");
      assertThat(g.epoch()).isEqualTo(1);
      assertThat(g.renewals()).isEqualTo(1);
      assertThat(g.failback()).isEqualTo("auto");
      assertThat(g.modeOf("n2")).isEqualTo("primary");
      assertThat(g.definitionHash()).isEqualTo("h2");
    }

    static Stream<ClusterCommand> commandsOnUnknownGroup() {
      return Stream.of(new ClusterCommand.Renew("nogroup", "n1", 1),
          new ClusterCommand.Promote("nogroup", "n1", 0, 0, "x", NOW),
          new ClusterCommand.RequestSwitchover("nogroup", "n2", "x", NOW),
          new ClusterCommand.Release("nogroup", "n1", 1, NOW),
          new ClusterCommand.SetPaused("nogroup", true, "n1"));
    }

    @ParameterizedTest
    @MethodSource("commandsOnUnknownGroup")
    void commandOnUnknownGroup_isRefusedNotThrown(ClusterCommand c) {
      Log l = withPrimaryN1();
      ClusterState before = l.state;

      CommandResult r = l.apply(c);

      assertThat(r.ok()).isFalse();
      assertThat(r.message()).contains("nogroup");
      assertThat(l.state).isEqualTo(at(before, l.index));
    }
  }

  @Nested
  class Promote {
    @Test
    void promoteAtTheExpectedEpochAndRenewals_makesThePrimaryWithEpochPlusOne() {
      Log l = threeNodesWithGroup();

      CommandResult r = l.apply(new ClusterCommand.Promote("web", "n2", 0, 0, "group has no primary", NOW + 5));

      assertThat(r.ok()).isTrue();
      assertThat(r.epoch()).isEqualTo(1);
      GroupState g = l.group("web");
      assertThat(g.primary()).isEqualTo("n2");
      assertThat(g.epoch()).isEqualTo(1);
      assertThat(g.renewals()).isZero();
      assertThat(g.lastChange()).isEqualTo("group has no primary");
      assertThat(g.lastChangeMillis()).isEqualTo(NOW + 5);
    }

    @Test
    void promoteDecidedUnderAnOlderEpoch_isRefusedAndEpochUnchanged() {
      Log l = withPrimaryN1();

      CommandResult r = l.apply(new ClusterCommand.Promote("web", "n2", 0, 0, "stale decision", NOW));

      assertThat(r.ok()).isFalse();
      assertThat(r.message()).contains("cancelled").contains("epoch 1");
      assertThat(r.epoch()).isEqualTo(1);
      assertThat(l.group("web").primary()).isEqualTo("n1");
      assertThat(l.group("web").epoch()).isEqualTo(1);
    }

    @Test
    void renewalLandedBetweenDecisionAndCommit_cancelsThePromotion() {
      Log l = withPrimaryN1();
      // The leader decided with renewals = 0; then n1's renewal was committed first.
      l.apply(new ClusterCommand.Renew("web", "n1", 1));

      CommandResult r = l.apply(new ClusterCommand.Promote("web", "n2", 1, 0, "n1 lease over", NOW));

      assertThat(r.ok()).isFalse();
      assertThat(r.message()).contains("renewals 1");
      assertThat(l.group("web").primary()).isEqualTo("n1");
      assertThat(l.group("web").epoch()).isEqualTo(1);
      assertThat(l.group("web").renewals()).isEqualTo(1);
    }

    @Test
    void promoteSeeingTheLatestRenewalCount_replacesTheSilentPrimary() {
      Log l = withPrimaryN1();
      l.apply(new ClusterCommand.Renew("web", "n1", 1));
      l.apply(new ClusterCommand.Renew("web", "n1", 1));

      CommandResult r = l.apply(new ClusterCommand.Promote("web", "n2", 1, 2, "n1 lease over", NOW));

      assertThat(r.ok()).isTrue();
      assertThat(l.group("web").primary()).isEqualTo("n2");
      assertThat(l.group("web").epoch()).isEqualTo(2);
      assertThat(l.group("web").renewals()).isZero();
    }

    @Test
    void promoteOfAWitnessOrAStranger_isRefused() {
      Log l = joined(threeNodesWithGroup(), witness("w1"));

      assertThat(l.apply(new ClusterCommand.Promote("web", "w1", 0, 0, "x", NOW)).ok()).isFalse();
      assertThat(l.apply(new ClusterCommand.Promote("web", "stranger", 0, 0, "x", NOW)).ok()).isFalse();
      assertThat(l.group("web").primary()).isNull();
      assertThat(l.group("web").epoch()).isZero();
    }
  }

  @Nested
  class Renew {
    @Test
    void renewByThePrimaryUnderItsEpoch_countsARenewal() {
      Log l = withPrimaryN1();

      CommandResult r = l.apply(new ClusterCommand.Renew("web", "n1", 1));

      assertThat(r.ok()).isTrue();
      assertThat(r.epoch()).isEqualTo(1);
      assertThat(l.group("web").renewals()).isEqualTo(1);
    }

    @Test
    void renewByANodeThatIsNotPrimary_isRefused() {
      Log l = withPrimaryN1();

      CommandResult r = l.apply(new ClusterCommand.Renew("web", "n2", 1));

      assertThat(r.ok()).isFalse();
      assertThat(r.message()).contains("n2 is not the primary").contains("primary n1");
      assertThat(l.group("web").renewals()).isZero();
    }

    @Test
    void renewByADeposedPrimaryWithItsOldEpoch_isRefused() {
      Log l = withPrimaryN1();
      l.apply(new ClusterCommand.Promote("web", "n2", 1, 0, "n1 lease over", NOW));

      CommandResult r = l.apply(new ClusterCommand.Renew("web", "n1", 1));

      assertThat(r.ok()).isFalse();
      assertThat(r.epoch()).isEqualTo(2);
      assertThat(l.group("web").primary()).isEqualTo("n2");
    }

    @Test
    void renewWithAStaleEpochByTheSameNode_isRefused() {
      Log l = withPrimaryN1();
      // n1 lost the group and got it back: epoch 3 now, a delayed renewal from epoch 1 must not count.
      l.apply(new ClusterCommand.Promote("web", "n2", 1, 0, "x", NOW));
      l.apply(new ClusterCommand.Promote("web", "n1", 2, 0, "x", NOW));

      CommandResult r = l.apply(new ClusterCommand.Renew("web", "n1", 1));

      assertThat(r.ok()).isFalse();
      assertThat(l.group("web").renewals()).isZero();
      assertThat(l.group("web").epoch()).isEqualTo(3);
    }
  }

  @Nested
  class Switchover {
    @Test
    void switchoverThenRelease_makesTheTargetPrimaryWithEpochPlusOne() {
      Log l = withPrimaryN1();
      l.apply(new ClusterCommand.Renew("web", "n1", 1));

      CommandResult asked = l.apply(new ClusterCommand.RequestSwitchover("web", "n3", "maintenance", NOW));

      assertThat(asked.ok()).isTrue();
      assertThat(l.group("web").switchoverTo()).isEqualTo("n3");
      assertThat(l.group("web").primary()).isEqualTo("n1");
      assertThat(l.group("web").epoch()).isEqualTo(1);

      CommandResult released = l.apply(new ClusterCommand.Release("web", "n1", 1, NOW + 10));

      assertThat(released.ok()).isTrue();
      assertThat(released.epoch()).isEqualTo(2);
      GroupState g = l.group("web");
      assertThat(g.primary()).isEqualTo("n3");
      assertThat(g.epoch()).isEqualTo(2);
      assertThat(g.switchoverTo()).isNull();
      assertThat(g.renewals()).isZero();
      assertThat(g.lastChangeMillis()).isEqualTo(NOW + 10);
    }

    @Test
    void releaseWithoutSwitchover_leavesTheGroupWithoutPrimaryUnderANewEpoch() {
      Log l = withPrimaryN1();

      CommandResult r = l.apply(new ClusterCommand.Release("web", "n1", 1, NOW));

      assertThat(r.ok()).isTrue();
      assertThat(l.group("web").primary()).isNull();
      assertThat(l.group("web").epoch()).isEqualTo(2);
    }

    @Test
    void releaseByANonPrimaryOrUnderAStaleEpoch_isRefused() {
      Log l = withPrimaryN1();
      l.apply(new ClusterCommand.RequestSwitchover("web", "n2", "x", NOW));

      assertThat(l.apply(new ClusterCommand.Release("web", "n2", 1, NOW)).ok()).isFalse();
      assertThat(l.apply(new ClusterCommand.Release("web", "n1", 0, NOW)).ok()).isFalse();
      assertThat(l.group("web").primary()).isEqualTo("n1");
      assertThat(l.group("web").switchoverTo()).isEqualTo("n2");
      assertThat(l.group("web").epoch()).isEqualTo(1);
    }

    @Test
    void switchoverToTheCurrentPrimary_isANoOp() {
      Log l = withPrimaryN1();

      CommandResult r = l.apply(new ClusterCommand.RequestSwitchover("web", "n1", "x", NOW));

      assertThat(r.ok()).isTrue();
      assertThat(r.message()).contains("already primary");
      assertThat(l.group("web").switchoverTo()).isNull();
    }

    @Test
    void switchoverToAWitnessOrAStranger_isRefusedListingTheMembers() {
      Log l = joined(withPrimaryN1(), witness("w1"));

      CommandResult toWitness = l.apply(new ClusterCommand.RequestSwitchover("web", "w1", "x", NOW));
      CommandResult toStranger = l.apply(new ClusterCommand.RequestSwitchover("web", "zz", "x", NOW));

      assertThat(toWitness.ok()).isFalse();
      assertThat(toStranger.ok()).isFalse();
      assertThat(toStranger.message()).contains("zz is not a data node").contains("n1").contains("n2");
      assertThat(l.group("web").switchoverTo()).isNull();
    }

    @Test
    void switchoverOfAGroupWithoutPrimary_isRefusedPointingAtFailover() {
      Log l = threeNodesWithGroup();

      CommandResult r = l.apply(new ClusterCommand.RequestSwitchover("web", "n2", "x", NOW));

      assertThat(r.ok()).isFalse();
      assertThat(r.message()).contains("no primary").contains("tandem failover");
    }
  }

  @Nested
  class Pause {
    @Test
    void pauseAndResume_toggleTheFlagAndKeepThePrimary() {
      Log l = withPrimaryN1();

      CommandResult paused = l.apply(new ClusterCommand.SetPaused("web", true, "n2"));

      assertThat(paused.ok()).isTrue();
      assertThat(paused.message()).contains("paused by n2");
      assertThat(l.group("web").paused()).isTrue();
      assertThat(l.group("web").primary()).isEqualTo("n1");

      l.apply(new ClusterCommand.SetPaused("web", false, "n2"));

      assertThat(l.group("web").paused()).isFalse();
    }

    @Test
    void promotionOfAPausedGroup_keepsItPaused() {
      Log l = withPrimaryN1();
      l.apply(new ClusterCommand.SetPaused("web", true, "n1"));

      l.apply(new ClusterCommand.Promote("web", "n2", 1, 0, "manual failover", NOW));

      assertThat(l.group("web").paused()).isTrue();
    }
  }

  @Nested
  class Majority {
    static ClusterState withVoters(String... voters) {
      return new ClusterState("shop", 1, new java.util.TreeMap<>(), List.of(voters), new java.util.TreeMap<>(),
          new java.util.TreeMap<>(), new java.util.TreeMap<>(), 0);
    }

    @ParameterizedTest(name = "{0} voters: others of a voter have majority = {1}")
    @CsvSource({"1, false", "2, false", "3, true", "4, true", "5, true"})
    void othersOfAVoter_haveAMajorityFromThreeVoters(int voters, boolean expected) {
      String[] names = new String[voters];
      Arrays.setAll(names, i -> "n" + (i + 1));

      assertThat(withVoters(names).othersHaveMajority("n1")).isEqualTo(expected);
    }

    @Test
    void nodeThatDoesNotVote_leavesAllVotersToTheOthers() {
      assertThat(withVoters("n1", "n2").othersHaveMajority("n3")).isTrue();
      assertThat(withVoters("n1").othersHaveMajority("n3")).isTrue();
    }
  }

  @Nested
  class Reports {
    @Test
    void report_isKeptByNodeAndGroup_andTheLatestReplacesTheOld() {
      Log l = withPrimaryN1();
      NodeReport first = new NodeReport("n2", "web", true, false, 0, "ok", false, 0, NOW);
      NodeReport second = new NodeReport("n2", "web", false, true, -10, "http failing", false, 0, NOW + 1);

      l.apply(new ClusterCommand.Report(first));
      assertThat(l.state.report("n2", "web")).isEqualTo(first);

      l.apply(new ClusterCommand.Report(second));
      assertThat(l.state.report("n2", "web")).isEqualTo(second);
      assertThat(l.state.report("n1", "web")).isNull();
      assertThat(l.state.reports()).hasSize(1);
    }
  }

  @Nested
  class Reform {
    ClusterCommand.Reform reform(ClusterState previous, String group, String node) {
      return new ClusterCommand.Reform(previous, 2, List.of("n2"), group, node, "forced failover: n1 is down", NOW + 7);
    }

    @Test
    void reformFromEmpty_seedsThePreviousStateWithNewGenerationAndVoters_andPromotes() {
      Log old = withPrimaryN1();
      old.apply(new ClusterCommand.Renew("web", "n1", 1));
      Log fresh = empty();

      CommandResult r = fresh.apply(reform(old.state, "web", "n2"));

      assertThat(r.ok()).as(r.message()).isTrue();
      assertThat(r.epoch()).isEqualTo(2);
      ClusterState s = fresh.state;
      assertThat(s.cluster()).isEqualTo("shop");
      assertThat(s.generation()).isEqualTo(2);
      assertThat(s.voters()).containsExactly("n2");
      assertThat(s.members()).isEqualTo(old.state.members());
      assertThat(s.invites()).isEqualTo(old.state.invites());
      GroupState g = s.groups().get("web");
      assertThat(g.primary()).isEqualTo("n2");
      assertThat(g.epoch()).isEqualTo(2);
      assertThat(g.renewals()).isZero();
      assertThat(g.lastChange()).isEqualTo("forced failover: n1 is down");
      assertThat(s.index()).isEqualTo(1);
    }

    @Test
    void reformWithoutGroup_onlyChangesTheVotingSet() {
      Log old = withPrimaryN1();
      Log fresh = empty();

      CommandResult r = fresh.apply(reform(old.state, null, null));

      assertThat(r.ok()).isTrue();
      assertThat(fresh.state.voters()).containsExactly("n2");
      assertThat(fresh.group("web")).isEqualTo(old.group("web"));
    }

    @Test
    void reformOfARunningCluster_isRefused() {
      Log l = withPrimaryN1();
      ClusterState before = l.state;

      CommandResult r = l.apply(reform(before, "web", "n2"));

      assertThat(r.ok()).isFalse();
      assertThat(r.message()).contains("running");
      assertThat(l.state).isEqualTo(at(before, l.index));
    }
  }

  @Nested
  class AddVoter {
    @Test
    void memberLeftOutByAReform_votesAgain() {
      Log fresh = empty();
      fresh.apply(new ClusterCommand.Reform(withPrimaryN1().state, 2, List.of("n2", "n3"), null, null, "x", NOW));

      CommandResult r = fresh.apply(new ClusterCommand.AddVoter("n1"));

      assertThat(r.ok()).isTrue();
      assertThat(fresh.state.voters()).containsExactly("n2", "n3", "n1");
    }

    @Test
    void addVoterOfAVoter_isANoOp() {
      Log l = withPrimaryN1();

      CommandResult r = l.apply(new ClusterCommand.AddVoter("n2"));

      assertThat(r.ok()).isTrue();
      assertThat(r.message()).contains("already votes");
      assertThat(l.state.voters()).containsExactly("n1", "n2", "n3");
    }

    @Test
    void addVoterOfAStranger_isRefused() {
      Log l = withPrimaryN1();

      CommandResult r = l.apply(new ClusterCommand.AddVoter("zz"));

      assertThat(r.ok()).isFalse();
      assertThat(l.state.voters()).containsExactly("n1", "n2", "n3");
    }
  }

  @Nested
  class NoteDecision {
    @Test
    void decision_isKeptWithTheGroup_andChangesNothingElse() {
      Log l = withPrimaryN1();
      GroupState before = l.group("web");

      CommandResult r = l.apply(new ClusterCommand.NoteDecision("web", "n1 is primary and holds its lease", "n2", NOW));

      assertThat(r.ok()).isTrue();
      assertThat(l.group("web").decision()).isEqualTo("n1 is primary and holds its lease");
      assertThat(l.group("web").decidedBy()).isEqualTo("n2");
      assertThat(l.group("web").withDecision(before.decision(), before.decidedBy(), before.decidedAtMillis()))
          .isEqualTo(before);
      l.apply(new ClusterCommand.Renew("web", "n1", 1));
      assertThat(l.group("web").decision()).as("kept across renewals").isEqualTo("n1 is primary and holds its lease");
    }

    @Test
    void decisionAboutAnUnknownGroup_isRefused() {
      assertThat(withPrimaryN1().apply(new ClusterCommand.NoteDecision("zz", "x", "n1", NOW)).ok()).isFalse();
    }
  }

  @Nested
  class RemoveMember {
    @Test
    void removingAMember_dropsItsVoteAndReports_andItsNameAndCertificateCanJoinAgain() {
      Log l = withPrimaryN1();
      l.apply(new ClusterCommand.Report(new NodeReport("n3", "web", true, false, 0, "ok", false, 0, NOW)));
      l.apply(new ClusterCommand.Report(new NodeReport("n1", "web", true, false, 0, "ok", true, 1, NOW)));

      CommandResult r = l.apply(new ClusterCommand.RemoveMember("n3", "n1", "dead for good", NOW));

      assertThat(r.ok()).as(r.message()).isTrue();
      assertThat(r.message()).isEqualTo("n3 removed from cluster shop by n1: dead for good");
      assertThat(l.state.members()).containsOnlyKeys("n1", "n2");
      assertThat(l.state.voters()).containsExactly("n1", "n2");
      assertThat(l.state.reports()).containsOnlyKeys("n1/web");
      assertThat(l.group("web").primary()).isEqualTo("n1");
      joined(l, member("n3"));
      assertThat(l.state.voters()).containsExactly("n1", "n2", "n3");
    }

    @Test
    void rebuiltServerWithTheSameName_joinsWithItsNewCertificateAfterTheRemoval() {
      Log l = withPrimaryN1();
      l.apply(new ClusterCommand.RemoveMember("n3", "n1", "", NOW));

      joined(l, member("n3", certId("rebuilt-n3"), false));

      assertThat(l.state.members().get("n3").nodeId()).isEqualTo(certId("rebuilt-n3"));
    }

    @Test
    void removingAStrangerOrTheLastMember_isRefused() {
      Log l = bootstrapped();

      assertThat(l.apply(new ClusterCommand.RemoveMember("zz", "n1", "", NOW)).message()).contains("zz is not a member");
      assertThat(l.apply(new ClusterCommand.RemoveMember("n1", "n1", "", NOW)).message())
          .contains("cannot remove its last member");
      assertThat(l.state.members()).containsOnlyKeys("n1");
    }
  }

  @Test
  void everyApply_recordsItsLogIndex_evenARefusal() {
    ClusterState s = ClusterState.empty();

    assertThat(s.apply(new ClusterCommand.AddVoter("zz"), 42).state().index()).isEqualTo(42);
  }

  @Test
  void snapshotIsImmutable_applyingLeavesTheOldStateUntouched() {
    Log l = withPrimaryN1();
    ClusterState before = l.state;

    l.apply(new ClusterCommand.Renew("web", "n1", 1));

    assertThat(before.groups().get("web").renewals()).isZero();
    assertThat(l.group("web").renewals()).isEqualTo(1);
  }
}
