package tandem.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "status", description = "The cluster as this node sees it, like `patronictl list`.")
final class StatusCommand implements Callable<Integer> {
  @Mixin ConfigOption config;
  @Option(names = "--json", description = "print the API's JSON") boolean json;

  @Override
  public Integer call() throws Exception {
    JsonNode s = new ApiClient(config.load()).get("/api/v1/status");
    if (json) {
      System.out.println(ApiClient.json().writerWithDefaultPrettyPrinter().writeValueAsString(s));
      return 0;
    }
    System.out.print(render(s));
    return 0;
  }

  static String render(JsonNode s) {
    StringBuilder out = new StringBuilder();
    out.append("Cluster: ").append(s.path("cluster").asText()).append(" (generation ").append(s.path("generation").asLong())
        .append(", leader ").append(s.path("leader").isNull() ? "NONE: no quorum" : s.path("leader").asText())
        .append(", seen from ").append(s.path("node").asText()).append(")\n");
    out.append("Automatic failover: ").append(s.path("automaticFailover").asText()).append("\n");
    List<String[]> nodes = new ArrayList<>();
    nodes.add(new String[] {"Node", "ID", "Listen", "API", "Kind", "Votes"});
    for (JsonNode n : s.path("nodes")) {
      nodes.add(new String[] {n.path("name").asText(), n.path("id").asText().substring(0, 12), n.path("listen").asText(),
          n.path("api").asText(), n.path("witness").asBoolean() ? "witness" : "data", n.path("voter").asBoolean() ? "yes" : "no"});
    }
    out.append(Table.render(nodes));
    List<String[]> rows = new ArrayList<>();
    rows.add(new String[] {"Group", "Node", "Mode", "Role", "State", "Epoch", "Lease", "Lag", "Health"});
    for (JsonNode g : s.path("groups")) {
      for (JsonNode m : g.path("members")) {
        boolean primary = m.path("role").asText().equals("primary");
        // "*": this node's tandem.yaml defines the group differently (explained below the table).
        String node = m.path("node").asText() + (g.path("fileDiffers").has(m.path("node").asText()) ? "*" : "");
        rows.add(new String[] {g.path("group").asText(), node, m.path("mode").asText(),
            m.path("role").asText(), m.path("state").asText(), primary ? g.path("epoch").asText() : "",
            m.path("lease").asText(), m.path("lag").asText(), m.path("health").asText()});
      }
    }
    if (rows.size() > 1) {
      out.append(Table.render(rows));
    }
    for (JsonNode g : s.path("groups")) {
      out.append(g.path("group").asText()).append(": ");
      String why = g.path("why").asText();
      if (g.path("paused").asBoolean() && why.startsWith("paused: ")) {
        why = "PAUSED: " + why.substring("paused: ".length()); // the leader's sentence already says how to resume
      } else if (g.path("paused").asBoolean()) {
        out.append("PAUSED (tandem resume ").append(g.path("group").asText()).append("); ");
      }
      out.append(why.isEmpty() ? g.path("lastChange").asText() : why).append("\n");
      g.path("fileDiffers").fields().forEachRemaining(d -> out.append(g.path("group").asText()).append(": * ")
          .append(d.getKey()).append("'s tandem.yaml defines it differently from the cluster's definition (from ")
          .append(g.path("definedBy").asText()).append("'s file), not applied: ").append(d.getValue().asText()).append("\n"));
    }
    for (JsonNode d : s.path("databases")) {
      for (JsonNode w : d.path("warnings")) {
        out.append(d.path("group").asText()).append(": WARNING (").append(d.path("kind").asText()).append(" on ")
            .append(s.path("node").asText()).append(") ").append(w.asText()).append("\n");
      }
    }
    return out.toString();
  }
}
