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
    String metricsBefore = c.metrics(r.primary());

    switchOver(c, r.primary(), r.standby());
    String metricsBetween = c.metrics(r.primary());
    switchOver(c, r.standby(), r.primary());

    List<ServiceLog.Entry> mine = service.entries().stream().filter(e -> e.line() >= firstNewLine).toList();
    assertThat(mine).map(e -> e.kind() + " " + e.node()).as("the service log").containsExactly(
        "stop " + r.primary(), "start " + r.standby(), "stop " + r.standby(), "start " + r.primary());
    assertThat(mine).filteredOn(e -> !e.isStart()).allMatch(e -> e.by().equals("agent"), "stopped by the agent, not fenced");
    service.assertNoOverlap();

    // /metrics of a real agent follows the moves: who is primary, the epoch, the count and the time without primary.
    assertThat(value(metricsBefore, "tandem_group_primary{group=\"web\",node=\"" + r.primary() + "\"}")).isEqualTo(1);
    assertThat(value(metricsBetween, "tandem_group_primary{group=\"web\",node=\"" + r.primary() + "\"}")).isZero();
    assertThat(value(metricsBetween, "tandem_group_primary{group=\"web\",node=\"" + r.standby() + "\"}")).isEqualTo(1);
    assertThat(value(metricsBetween, "tandem_group_epoch{group=\"web\"}"))
        .isEqualTo(value(metricsBefore, "tandem_group_epoch{group=\"web\"}") + 1);
    double switchovers = value(metricsBefore, "tandem_switchovers_total{group=\"web\"}");
    assertThat(value(metricsBetween, "tandem_switchovers_total{group=\"web\"}")).isEqualTo(Math.max(switchovers, 0) + 1);
    assertThat(value(metricsBetween, "tandem_primary_gap_seconds_count{group=\"web\",kind=\"switchover\"}"))
        .isEqualTo(Math.max(switchovers, 0) + 1);
    assertThat(value(metricsBetween, "tandem_primary_gap_last_seconds{group=\"web\"}")).isPositive().isLessThan(60);
  }

  /** The value of one series in Prometheus text, or -1 when it is absent. */
  private static double value(String metrics, String series) {
    return metrics.lines().filter(l -> l.startsWith(series + " ")).mapToDouble(l -> Double.parseDouble(l.substring(
        series.length() + 1).strip())).findFirst().orElse(-1);
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
