package tandem.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static tandem.it.harness.TestCluster.group;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import tandem.it.harness.ServiceLog;
import tandem.it.harness.OwnedCluster;
import tandem.it.harness.TestCluster;

/** Growing a cluster under a running group: the nodes that join must not disturb its primary. */
class ClusterFormationTest {
  @RegisterExtension final OwnedCluster owned = new OwnedCluster();

  /**
   * n1 runs web alone; then the standby n2 and the witness n3 join, one after the other, as the
   * README says. The Raft configuration grows, but n1's lease must hold throughout: its service is
   * started once and never stopped. Then a node whose log holds the joins replays it while a node
   * that joined later leads.
   */
  @Test
  void standbyAndWitnessJoining_doNotInterruptThePrimary() throws Exception {
    TestCluster c = owned.own(TestCluster.create(TestCluster.runDir(getClass(), "joinUnderLoad"), List.of("n1", "n2"), "n3"));
    ServiceLog service = c.service();
    c.initAll();
    c.addGroup("web", "n1: primary, n2: passive", "n1", "n2");
    c.startFirst("n1");
    c.awaitRunning("web", "n1");

    c.joinAndStart("n1", "n2");
    c.joinAndStart("n1", "n3");
    c.awaitSettled();
    await("n1 keeps web while the cluster settles").during(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(10))
        .ignoreExceptions().until(() -> c.runsOn("web", "n1", "n3"));

    assertThat(service.entries()).map(e -> e.kind() + " " + e.node() + (e.isStart() ? "" : " (by " + e.by() + ")"))
        .as("the service log while n2 and n3 joined").containsExactly("start n1");
    assertThat(group(c.status("n3"), "web").path("epoch").asLong()).isEqualTo(1);
    service.assertNoOverlap();

    // SIGTERM of n1, the Raft leader since it bootstrapped: it hands web to n2 and the lead to the
    // witness, the best-placed voter, before it exits.
    c.terminate("n1");
    c.awaitStatus("n3", "the witness leads after n1 stopped", TestCluster.STARTUP, s -> "n3".equals(s.path("leader").asText()));
    c.awaitRunning("web", "n2");
    c.restart("n1");
    c.awaitStatus("n1", "n1 follows n3", TestCluster.STARTUP, s -> "n3".equals(s.path("leader").asText()));

    // A kill -9 and restart of the standby n1: it re-applies its log, in which n3 joins after n2.
    // Replaying n2's join once narrowed the pinned peers to {n1, n2}, and the node refused the
    // leader n3's certificate until the replay reached n3's join.
    int before = service.size();
    c.kill9("n1");
    c.restart("n1");
    // Any leader will do: on a loaded box the lead may move while n1 is down (n2 took it in one CI run).
    c.awaitStatus("n1", "n1 follows a leader again", TestCluster.STARTUP, s -> !s.path("leader").asText("").isEmpty());
    assertThat(c.hasEvent("n1", "peer-refused", "")).as("n1 refused a member's certificate after its restart:\n"
        + c.tailLog("n1", 40)).isFalse();
    assertThat(c.hasEvent("n3", "refused-by-peer", "")).as("a peer refused n3 after n1's restart").isFalse();
    assertThat(TestCluster.memberNames(c.status("n1"))).containsExactlyInAnyOrder("n1", "n2", "n3");
    assertThat(java.nio.file.Files.readString(c.node("n1").dataDir().resolve("cluster.json"))).contains("\"n3\"");
    assertThat(service.size()).as("n2 keeps web through n1's restart").isEqualTo(before);
    assertThat(c.runsOn("web", "n2", "n3")).isTrue();
    service.assertNoOverlap();
  }
}
