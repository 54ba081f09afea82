package tandem.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "events", description = "What happened on this node and in the cluster, when, and why.")
final class EventsCommand implements Callable<Integer> {
  @Mixin ConfigOption config;
  @Option(names = {"-f", "--follow"}, description = "keep printing new events") boolean follow;
  @Option(names = "--json", description = "one JSON object per line") boolean json;

  @Override
  public Integer call() {
    ApiClient api = new ApiClient(config.load());
    long after = 0;
    do {
      JsonNode list = api.get("/api/v1/events?after=" + after + (follow ? "&wait=30s" : ""));
      for (JsonNode n : list) {
        after = Math.max(after, n.path("seq").asLong());
        JsonNode e = n.path("event");
        System.out.println(json ? n.toString() : String.format("%s %-8s %-4s %-6s %-18s %s", e.path("time").asText(),
            e.path("level").asText(), e.path("node").asText(), e.path("group").asText(), e.path("kind").asText(),
            e.path("message").asText()));
      }
      System.out.flush();
    } while (follow);
    return 0;
  }
}
