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
   * README says. The Raft configuration grows (the lead is not handed over while a primary holds a lease), and n1's lease
   * must hold throughout: its service is started once and never stopped.
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
    // The Raft lead stays where it is while web has a primary: a hand-off would stall n1's renewals.
    c.awaitStatus("n3", "a Raft leader", TestCluster.STARTUP, s -> !s.path("leader").isNull());
    await("n1 keeps web while the cluster settles").during(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(10))
        .ignoreExceptions().until(() -> c.runsOn("web", "n1", "n3"));

    assertThat(service.entries()).map(e -> e.kind() + " " + e.node() + (e.isStart() ? "" : " (by " + e.by() + ")"))
        .as("the service log while n2 and n3 joined").containsExactly("start n1");
    assertThat(group(c.status("n3"), "web").path("epoch").asLong()).isEqualTo(1);
    service.assertNoOverlap();

    // A kill -9 and restart of n1, the first member and the Raft leader: another node leads when it
    // is back, and n1 re-applies its log, in which n2 and n3 join after it. Replaying those joins
    // once narrowed n1's pinned peers to the members of the moment, and it refused the new leader's
    // certificate until the replay reached its join.
    c.kill9("n1");
    c.awaitRunning("web", "n2");
    c.restart("n1");
    c.awaitStatus("n1", "n1 follows a new leader", TestCluster.STARTUP,
        s -> !s.path("leader").isNull() && !"n1".equals(s.path("leader").asText()));
    assertThat(c.hasEvent("n1", "peer-refused", "")).as("n1 refused a member's certificate after its restart:\n"
        + c.tailLog("n1", 40)).isFalse();
    assertThat(c.hasEvent("n2", "refused-by-peer", "") || c.hasEvent("n3", "refused-by-peer", ""))
        .as("a peer was refused by n1 after its restart").isFalse();
    assertThat(TestCluster.memberNames(c.status("n1"))).containsExactlyInAnyOrder("n1", "n2", "n3");
    assertThat(java.nio.file.Files.readString(c.node("n1").dataDir().resolve("cluster.json"))).contains("\"n3\"");
    service.assertNoOverlap();
  }
}
