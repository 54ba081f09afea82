package tandem.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static tandem.cluster.ClusterStateTest.NOW;

import java.util.Set;
import org.junit.jupiter.api.Test;

class MemberRemovalTest {
  /** n1 (primary of web, running), n2, n3 data nodes and witness w: four voters. */
  static ClusterState fourVoters() {
    ClusterStateTest.Log l = ClusterStateTest.withPrimaryN1();
    ClusterStateTest.joined(l, ClusterStateTest.witness("w"));
    l.apply(new ClusterCommand.Report(new NodeReport("n1", "web", true, false, 0, "ok", true, 1, NOW)));
    return l.state;
  }

  @Test
  void deadNode_withTheRestReachable_mayBeRemoved() {
    assertThat(MemberRemoval.refusal(fourVoters(), "n3", Set.of("n1", "n2", "w"), false, false)).isNull();
  }

  @Test
  void removal_leavingTooFewReachableVoters_isRefusedSayingWhy() {
    String why = MemberRemoval.refusal(fourVoters(), "n3", Set.of("n1"), false, false);

    assertThat(why).isEqualTo("removing n3 would leave 3 voters [n1, n2, w] of which only [n1] answer; the cluster "
        + "needs 2 of them reachable to decide anything: start the others (or remove the dead ones) first");
  }

  @Test
  void force_doesNotOverrideTheMajorityRule() {
    assertThat(MemberRemoval.refusal(fourVoters(), "n3", Set.of("n2"), true, false)).contains("needs 2 of them");
  }

  @Test
  void runningReachablePrimary_isRefusedUnlessForced() {
    String why = MemberRemoval.refusal(fourVoters(), "n1", Set.of("n1", "n2", "w"), false, false);

    assertThat(why).startsWith("n1 is primary of web, runs it and answers; hand it over first: run `tandem leave` on n1")
        .contains("--force");
    assertThat(MemberRemoval.refusal(fourVoters(), "n1", Set.of("n1", "n2", "w"), true, false)).isNull();
  }

  @Test
  void primaryThatDoesNotAnswer_mayBeRemoved() {
    assertThat(MemberRemoval.refusal(fourVoters(), "n1", Set.of("n2", "n3", "w"), false, false)).isNull();
  }

  @Test
  void leavingNode_isNotHeldBackByItsOwnGroups() {
    assertThat(MemberRemoval.refusal(fourVoters(), "n1", Set.of("n1", "n2", "w"), false, true)).isNull();
  }

  @Test
  void strangerAndLastVoter_areRefused() {
    assertThat(MemberRemoval.refusal(fourVoters(), "zz", Set.of("n1"), false, false)).contains("zz is not a member");
    ClusterState alone = ClusterStateTest.bootstrapped().state;
    assertThat(MemberRemoval.refusal(alone, "n1", Set.of("n1"), false, true)).contains("last voter");
  }
}
