package tandem.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static tandem.it.harness.TestCluster.member;
import static tandem.it.harness.TestCluster.memberNames;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import tandem.it.harness.OwnedCluster;
import tandem.it.harness.ServiceLog;
import tandem.it.harness.TestCluster;
import tandem.it.harness.TestCluster.CliResult;

/**
 * Members leaving for good, with real agents: data nodes n1 (web's preferred primary), n2, n3 and the witness w, so
 * that after one removal three voters remain and the group can still fail over by itself.
 */
class RemoveMemberTest {
  @RegisterExtension final OwnedCluster owned = new OwnedCluster();

  // Four agents started, two kill -9s and restarts, a failover, a switchover and a join: 2 min on an idle machine,
  // more than the default 3 min when the machine is shared.
  @Test
  @org.junit.jupiter.api.Timeout(value = 8, unit = java.util.concurrent.TimeUnit.MINUTES)
  void deadNodeRemoved_isRefusedAfterwards_failoverStillWorks_andAPrimaryLeavingHandsItsGroupOverFirst() throws Exception {
    TestCluster c = owned.own(TestCluster.create(TestCluster.runDir(getClass(), "remove"), List.of("n1", "n2", "n3"), "w"));
    ServiceLog service = c.service();
    c.initAll();
    c.addGroup("web", "n1: primary, n2: passive, n3: passive", "n1", "n2", "n3");
    c.startAll();
    c.awaitRunning("web", "n1");

    CliResult refused = c.cli("n2", "remove-node", "n1");
    assertThat(refused.exitCode()).as(refused.toString()).isEqualTo(1);
    assertThat(refused.output()).contains("n1 is primary of web, runs it and answers", "tandem leave");

    c.kill9("n3");
    CliResult removed = c.cli("n1", "remove-node", "n3");
    assertThat(removed.exitCode()).as(removed.toString()).isZero();
    assertThat(removed.output()).contains("n3 removed from cluster");
    for (String viewer : List.of("n1", "n2", "w")) {
      c.awaitStatus(viewer, "n3 is gone", TestCluster.STARTUP, s -> !memberNames(s).contains("n3")
          && voters(s).equals(List.of("n1", "n2", "w")));
    }

    c.mark("n3 comes back with its old certificate");
    c.restart("n3");
    await("n3 is refused by the members").atMost(TestCluster.STARTUP).ignoreExceptions()
        .until(() -> c.hasEvent("n3", "refused-by-peer", "is not a member"));
    assertThat(memberNames(c.status("n1"))).doesNotContain("n3");
    c.kill9("n3");

    c.mark("kill -9 of the primary with three voters left");
    c.kill9("n1");
    c.awaitRunning("web", "n2");

    c.restart("n1");
    await("n1 is back as a healthy replica").atMost(TestCluster.STARTUP).ignoreExceptions()
        .until(() -> "stopped".equals(member(c.status("n2"), "web", "n1").path("state").asText()));

    c.mark("the primary n2 leaves");
    CliResult left = c.cli("n2", "leave");
    assertThat(left.exitCode()).as(left.toString()).isZero();
    assertThat(left.output()).contains("n2 removed from cluster", "groups handed over first: web to n1");
    await("n2's agent stops").atMost(TestCluster.STARTUP).until(() -> !c.isAlive("n2"));
    c.awaitRunning("web", "n1");
    JsonNode s = c.status("n1");
    assertThat(memberNames(s)).containsExactly("n1", "w");
    assertThat(service.find("stop", "n2")).as("n2 stopped web before n1 started it").isPresent();

    c.mark("n2 joins again with a new invite");
    c.joinAndStart("n1", "n2");
    c.awaitStatus("n1", "n2 votes again", TestCluster.STARTUP, st -> voters(st).equals(List.of("n1", "n2", "w")));
    service.assertNoOverlap();
  }

  private static List<String> voters(JsonNode status) {
    List<String> out = new ArrayList<>();
    status.path("nodes").forEach(n -> {
      if (n.path("voter").asBoolean()) {
        out.add(n.path("name").asText());
      }
    });
    return out;
  }
}
