package tandem.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static tandem.cluster.ClusterStateTest.NOW;

import java.util.Map;
import org.junit.jupiter.api.Test;

class DefinitionDiffTest {
  /** web as n1 defined it: n1 primary, n2 active, n3 passive, manual failback, 30 s. */
  static GroupState cluster() {
    return ClusterStateTest.threeNodesWithGroup().group("web");
  }

  @Test
  void sameDefinition_hasNoDifference_evenWithOffNodesSpelledOut() {
    assertThat(DefinitionDiff.between(Map.of("n1", "primary", "n2", "active", "n3", "passive", "n9", "off"), "manual",
        30_000, cluster())).isEmpty();
  }

  @Test
  void everyDifferingKey_isNamed_withBothValues() {
    String diff = DefinitionDiff.between(Map.of("n1", "primary", "n2", "passive"), "auto", 60_000, cluster());

    assertThat(diff).isEqualTo("nodes.n2: passive here, active in the cluster's; nodes.n3: off here, passive in the "
        + "cluster's; failback: auto here, manual in the cluster's; failback-after: 60000ms here, 30000ms in the "
        + "cluster's");
  }

  @Test
  void reportDefinition_isKeptPerNode_clearedWhenTheFileAgrees_andDroppedWithTheMember() {
    ClusterStateTest.Log l = ClusterStateTest.withPrimaryN1();

    CommandResult r = l.apply(new ClusterCommand.ReportDefinition("web", "n2", "failback: auto here, manual in the "
        + "cluster's", NOW));

    assertThat(r.message()).isEqualTo("n2's tandem.yaml defines web differently from the cluster's definition (from "
        + "n1's file): failback: auto here, manual in the cluster's");
    assertThat(l.group("web").differing()).containsOnlyKeys("n2");
    l.apply(new ClusterCommand.ReportDefinition("web", "n3", "nodes.n3: off here, passive in the cluster's", NOW));
    l.apply(new ClusterCommand.ReportDefinition("web", "n2", "", NOW));
    assertThat(l.group("web").differing()).containsOnlyKeys("n3");
    l.apply(new ClusterCommand.RemoveMember("n3", "n1", "", NOW));
    assertThat(l.group("web").differing()).isEmpty();
    assertThat(l.apply(new ClusterCommand.ReportDefinition("zz", "n2", "x", NOW)).ok()).isFalse();
  }

  /** A node that just joined, whose state still lags, must not replace a definition it has not seen yet. */
  @Test
  void defineGroup_fromANodeThatSawAnOlderDefinition_isRefused() {
    ClusterStateTest.Log l = ClusterStateTest.withPrimaryN1();

    CommandResult r = l.apply(new ClusterCommand.DefineGroup("web", Map.of("n2", "primary"), "manual", 0, "n2", "h2", ""));

    assertThat(r.ok()).isFalse();
    assertThat(r.message()).contains("was defined meanwhile (by n1)");
    assertThat(l.group("web").definedBy()).isEqualTo("n1");
    assertThat(l.apply(new ClusterCommand.DefineGroup("web", Map.of("n1", "primary"), "manual", 0, "n1", "h3", "h1"))
        .ok()).as("the definer, having seen the current one").isTrue();
  }
}
