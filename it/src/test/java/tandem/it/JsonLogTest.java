package tandem.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import tandem.it.harness.OwnedCluster;
import tandem.it.harness.TestCluster;

/** `log: { format: json }`: every line a real agent writes (start, promotion, SIGTERM hand-over) is a JSON object. */
class JsonLogTest {
  @RegisterExtension final OwnedCluster owned = new OwnedCluster();

  @Test
  void agentWithJsonLog_writesOnlyJsonLines_withEventFields() throws Exception {
    TestCluster c = owned.own(TestCluster.create(TestCluster.runDir(getClass(), "json"), List.of("n1"), null));
    c.initAll();
    Files.writeString(c.node("n1").config(), "log: { format: json }\n", StandardOpenOption.APPEND);
    c.addGroup("web", "n1: primary", "n1");
    c.startFirst("n1");
    c.awaitRunning("web", "n1");
    c.terminate("n1"); // SIGTERM: the hand-over is logged too

    List<JsonNode> lines = new ArrayList<>();
    ObjectMapper json = new ObjectMapper();
    for (String line : c.log("n1").split("\n")) {
      if (line.isBlank() || line.startsWith("==== ")) {
        continue; // the harness's own marker between starts
      }
      lines.add(json.readTree(line)); // throws on anything that is not one JSON object
    }
    assertThat(lines).isNotEmpty().allSatisfy(l -> assertThat(l.has("level") && l.has("loggerName")
        && l.has("timestamp") && l.has("formattedMessage")).as(l.toString()).isTrue());
    assertThat(lines).anySatisfy(l -> assertThat(l.path("kvpList").toString()).contains("{\"group\":\"web\"}"));
  }
}
