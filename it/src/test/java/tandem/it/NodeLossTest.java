package tandem.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static tandem.it.harness.TestCluster.group;
import static tandem.it.harness.TestCluster.member;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import tandem.it.harness.SharedWebCluster;
import tandem.it.harness.TestCluster;

/**
 * Two data nodes and a witness make a 3-vote cluster: losing any one node leaves a majority, so
 * the group keeps (or gets) a running primary and the cluster still takes writes.
 */
@ExtendWith(SharedWebCluster.class)
class NodeLossTest {

  /**
   * @param lost which node dies: the group's primary, its standby, or the witness
   */
  @ParameterizedTest(name = "lost the {0}")
  @ValueSource(strings = {"primary", "standby", "witness"})
  void twoDataNodesAndWitness_surviveLossOfAnyOneNode(String lost, TestCluster c) throws Exception {
    TestCluster.Roles r = c.roles("web");
    long epoch = group(c.status(r.primary()), "web").path("epoch").asLong();
    String victim = switch (lost) {
      case "primary" -> r.primary();
      case "standby" -> r.standby();
      default -> r.witness();
    };
    String runner = lost.equals("primary") ? r.standby() : r.primary();
    int firstNewLine = c.service().size() + 1;

    c.kill9(victim);
    if (lost.equals("primary")) {
      c.awaitRunning("web", runner);
    } else {
      // Losing the standby or the witness is no reason to move the group: it stays, same epoch.
      await(runner + " keeps web after losing " + victim).during(Duration.ofSeconds(5)).atMost(Duration.ofSeconds(15))
          .ignoreExceptions()
          .until(() -> c.runsOn("web", runner, runner) && c.service().isRunning(runner)
              && group(c.status(runner), "web").path("epoch").asLong() == epoch);
      assertThat(c.service().entries()).filteredOn(e -> e.line() >= firstNewLine)
          .as("service log after losing %s: %s's service must not even restart", victim, runner).isEmpty();
    }
    assertThat(c.get(runner, "/primary?group=web")).as("/primary on %s", runner).isEqualTo(200);
    String otherData = runner.equals(r.primary()) ? r.standby() : r.primary();
    assertThat(c.service().isRunning(otherData)).as("%s's service", otherData).isFalse();

    // The two survivors still make a majority: a write (pause, then resume) goes through.
    var pause = c.cli(runner, "pause", "web");
    assertThat(pause.exitCode()).as("pause after losing %s: %s", victim, pause).isZero();
    c.awaitStatus(runner, "web paused", Duration.ofSeconds(10), s -> group(s, "web").path("paused").asBoolean());
    var resume = c.cli(runner, "resume", "web");
    assertThat(resume.exitCode()).as("resume after losing %s: %s", victim, resume).isZero();
    JsonNode s = c.awaitStatus(runner, "web resumed", Duration.ofSeconds(10), st -> !group(st, "web").path("paused").asBoolean());
    // The status is one node's view; right after a change it may be between two leaders for a moment.
    s = c.awaitStatus(runner, "a Raft leader after losing " + victim, Duration.ofSeconds(10), st -> !st.path("leader").isNull());
    assertThat(member(s, "web", runner).path("state").asText()).isEqualTo("running");
    c.service().assertNoOverlap();
  }
}
