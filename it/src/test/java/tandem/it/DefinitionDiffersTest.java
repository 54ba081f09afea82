package tandem.it;

import static org.assertj.core.api.Assertions.assertThat;
import static tandem.it.harness.TestCluster.group;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import tandem.it.harness.OwnedCluster;
import tandem.it.harness.TestCluster;

/** n2's tandem.yaml says n2 is active in web, n1's (which defined web first) says passive: status shows it. */
class DefinitionDiffersTest {
  @RegisterExtension final OwnedCluster owned = new OwnedCluster();

  @Test
  void nodeWhoseFileDefinesAGroupDifferently_isShownInStatusOnEveryNode_andRaisesAWarning() throws Exception {
    TestCluster c = owned.own(TestCluster.create(TestCluster.runDir(getClass(), "differs"), List.of("n1", "n2"), "n3"));
    c.initAll();
    c.addGroup("web", "n1: primary, n2: passive", "n1");
    c.addGroup("web", "n1: primary, n2: active", "n2");
    c.startAll();
    c.awaitRunning("web", "n1");

    for (String viewer : List.of("n1", "n2", "n3")) {
      JsonNode s = c.awaitStatus(viewer, "n2's file differs", TestCluster.STARTUP,
          st -> group(st, "web").path("fileDiffers").has("n2"));
      assertThat(group(s, "web").path("fileDiffers").path("n2").asText())
          .isEqualTo("nodes.n2: active here, passive in the cluster's");
      assertThat(group(s, "web").path("definedBy").asText()).isEqualTo("n1");
    }
    assertThat(c.hasEvent("n1", "definition-differs", "n2's tandem.yaml defines web differently")).isTrue();
    assertThat(c.cli("n1", "status").output()).contains("n2*",
        "web: * n2's tandem.yaml defines it differently from the cluster's definition (from n1's file)");
  }
}
