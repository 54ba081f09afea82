package tandem.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;

/** Polls the status until a group runs on a node: how `switchover` and `failover` wait. */
final class Waiting {
  private Waiting() {}

  static int untilRunning(ApiClient api, String group, String node, Duration limit) throws InterruptedException {
    long deadline = System.nanoTime() + limit.toNanos();
    long start = System.nanoTime();
    while (System.nanoTime() - deadline < 0) {
      JsonNode g = groupOf(api.get("/api/v1/status"), group);
      if (g != null && node.equals(g.path("primary").asText()) && runningOn(g, node)) {
        System.out.printf("%s runs on %s (epoch %d) after %.1fs%n", group, node, g.path("epoch").asLong(),
            (System.nanoTime() - start) / 1e9);
        return 0;
      }
      Thread.sleep(100); // polling an HTTP API for a human; not synchronisation in a test
    }
    throw new CliException(1, group + " does not run on " + node + " after " + limit.toSeconds() + "s; see `tandem status` and `tandem events`");
  }

  private static JsonNode groupOf(JsonNode status, String group) {
    for (JsonNode g : status.path("groups")) {
      if (g.path("group").asText().equals(group)) {
        return g;
      }
    }
    return null;
  }

  private static boolean runningOn(JsonNode g, String node) {
    for (JsonNode m : g.path("members")) {
      if (m.path("node").asText().equals(node)) {
        return m.path("state").asText().equals("running");
      }
    }
    return false;
  }
}
