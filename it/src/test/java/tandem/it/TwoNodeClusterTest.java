package tandem.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static tandem.it.harness.TestCluster.group;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import tandem.it.harness.ServiceLog;
import tandem.it.harness.OwnedCluster;
import tandem.it.harness.TestCluster;

/**
 * Two data nodes without a witness have no majority once one is lost (safety rule 4): tandem says
 * so up front, does not fail over by itself, and accepts the operator's forced failover.
 */
class TwoNodeClusterTest {
  private static final Duration THREE_LEASES = Duration.ofSeconds(7);

  @RegisterExtension final OwnedCluster owned = new OwnedCluster();

  @Test
  void twoNodesWithoutWitness_refuseAutomaticFailover_butAcceptForcedOne() throws Exception {
    TestCluster c = owned.own(TestCluster.startWeb(TestCluster.runDir(getClass(), "forcedFailover"), false));
    ServiceLog service = c.service();
    assertThat(c.status("n1").path("automaticFailover").asText()).startsWith("impossible");
    assertThat(c.status("n2").path("automaticFailover").asText()).startsWith("impossible");

    // The primary's server dies: its agent and its service with it.
    c.kill9("n1");
    service.powerOff("n1");
    int firstNewLine = service.size() + 1;

    await("n2 does not take web by itself").during(THREE_LEASES).atMost(THREE_LEASES.plusSeconds(5)).ignoreExceptions()
        .until(() -> !"n2".equals(c.primaryOf("web", "n2")) && !service.isRunning("n2")
            && service.find("start", "n2", firstNewLine).isEmpty());
    assertThat(c.get("n2", "/primary?group=web")).as("/primary on n2 without quorum").isEqualTo(503);

    var forced = c.cli("n2", "failover", "web", "--to", "n2", "--force");
    assertThat(forced.exitCode()).as("forced failover: %s", forced).isZero();
    assertThat(c.runsOn("web", "n2", "n2")).as("web runs on n2 when `failover --force` returns").isTrue();
    assertThat(service.isRunning("n2")).as("n2's service process").isTrue();
    assertThat(group(c.status("n2"), "web").path("epoch").asLong()).isGreaterThan(1);
    assertThat(c.get("n2", "/primary?group=web")).as("/primary on n2 after the forced failover").isEqualTo(200);
    service.assertNoOverlap();
  }
}
