package tandem.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "leave", description = "Take this node out of the cluster for good: switch its groups over, hand over "
    + "the Raft lead, remove it from the cluster, stop the agent. tandem.yaml and the keys stay; a later invite/join "
    + "brings it back.")
final class LeaveCommand implements Callable<Integer> {
  @Mixin ConfigOption config;
  @Option(names = "--force", description = "leave even when a group of this node has nowhere to go (it is stopped)")
  boolean force;

  @Override
  public Integer call() {
    JsonNode r = new ApiClient(config.load()).post("/api/v1/leave" + (force ? "?force=true" : ""));
    System.out.println(r.path("message").asText());
    return 0;
  }
}
