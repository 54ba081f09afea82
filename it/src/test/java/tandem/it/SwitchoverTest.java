package tandem.it;

import static org.assertj.core.api.Assertions.assertThat;
import static tandem.it.harness.TestCluster.group;
import static tandem.it.harness.TestCluster.member;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import tandem.it.harness.ServiceLog;
import tandem.it.harness.SharedWebCluster;
import tandem.it.harness.TestCluster;

/** A planned move: the old primary stops first, the new one starts, and the command returns only then. */
@ExtendWith(SharedWebCluster.class)
class SwitchoverTest {

  @Test
  void switchover_movesGroupWithoutOverlap_andWaits(TestCluster c) throws Exception {
    ServiceLog service = c.service();
    TestCluster.Roles r = c.roles("web");
    int firstNewLine = service.size() + 1;

    switchOver(c, r.primary(), r.standby());
    switchOver(c, r.standby(), r.primary());

    List<ServiceLog.Entry> mine = service.entries().stream().filter(e -> e.line() >= firstNewLine).toList();
    assertThat(mine).map(e -> e.kind() + " " + e.node()).as("the service log").containsExactly(
        "stop " + r.primary(), "start " + r.standby(), "stop " + r.standby(), "start " + r.primary());
    assertThat(mine).filteredOn(e -> !e.isStart()).allMatch(e -> e.by().equals("agent"), "stopped by the agent, not fenced");
    service.assertNoOverlap();
  }

  /** Runs `switchover web --to {to}` on {@code from} and checks it returned only once {@code to} runs web. */
  private static void switchOver(TestCluster c, String from, String to) throws Exception {
    long epochBefore = group(c.status(from), "web").path("epoch").asLong();
    var r = c.cli(from, "switchover", "web", "--to", to);
    assertThat(r.exitCode()).as("switchover to %s: %s", to, r).isZero();
    assertThat(r.output()).contains("web runs on " + to);
    // No waiting here: the command itself waited.
    JsonNode s = c.status(from);
    assertThat(group(s, "web").path("primary").asText()).isEqualTo(to);
    assertThat(group(s, "web").path("epoch").asLong()).isGreaterThan(epochBefore);
    assertThat(member(s, "web", to).path("state").asText()).isEqualTo("running");
    assertThat(member(s, "web", from).path("state").asText()).isEqualTo("stopped");
    assertThat(c.service().isRunning(to)).as("%s's service process", to).isTrue();
    assertThat(c.service().isRunning(from)).as("%s's service process", from).isFalse();
  }
}
