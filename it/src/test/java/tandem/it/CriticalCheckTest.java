package tandem.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import tandem.it.harness.ServiceLog;
import tandem.it.harness.OwnedCluster;
import tandem.it.harness.TestCluster;

/**
 * A critical check that fails on a living primary moves the group away at once, as a planned
 * handover (stop, release, start): no lease wait and no overlap. A node whose critical check
 * fails is not a candidate.
 */
class CriticalCheckTest {
  @RegisterExtension final OwnedCluster owned = new OwnedCluster();

  @Test
  void criticalCheckFailingOnThePrimary_movesTheGroupToTheStandby_withoutOverlap() throws Exception {
    TestCluster c = owned.own(TestCluster.create(TestCluster.runDir(getClass(), "critical"), List.of("n1", "n2"), "n3"));
    c.initAll();
    c.addGroup("web", "n1: primary, n2: passive", "n1", "n2");
    for (String n : List.of("n1", "n2")) {
      Files.writeString(c.node(n).config(), checkYaml(sick(c, n)), StandardOpenOption.APPEND);
    }
    c.startAll();
    c.awaitRunning("web", "n1");
    ServiceLog service = c.service();
    service.startTest();

    Files.writeString(sick(c, "n1"), "down for the test\n");

    c.awaitPrimary("web", "n3", Duration.ofSeconds(30), "n2"::equals);
    c.awaitRunning("web", "n2");
    assertThat(service.isRunning("n1")).as("n1's service after the handover").isFalse();
    assertThat(c.hasEvent("n2", "switchover", "a critical check fails on n1")).as("the leader's reason").isTrue();
    assertThat(c.hasEvent("n2", "primary-changed", "n1 released web to n2")).as("a planned handover, not a lease failover")
        .isTrue();
    service.assertNoOverlap();
  }

  private static Path sick(TestCluster c, String node) {
    return c.dir().resolve("sick-" + node);
  }

  private static String checkYaml(Path sick) {
    return "    checks:\n"
        + "      - command: \"test ! -f " + sick + "\"\n"
        + "        name: app\n"
        + "        critical: true\n"
        + "        interval: 200ms\n"
        + "        timeout: 200ms\n"
        + "        fall: 2\n"
        + "        rise: 1\n";
  }
}
