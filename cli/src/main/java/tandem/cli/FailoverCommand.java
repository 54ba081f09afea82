package tandem.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "failover", description = "Make a node primary by force, for a cluster that lost its quorum."
    + " Only when you know the current primary is down: a forced failover is not fenced against it.")
final class FailoverCommand implements Callable<Integer> {
  @Mixin ConfigOption config;
  @Parameters(index = "0", description = "the group") String group;
  @Option(names = "--to", required = true, description = "the node that takes over (run the command on it)") String to;
  @Option(names = "--force", description = "yes, I know the current primary is down") boolean force;

  @Override
  public Integer call() throws InterruptedException {
    ApiClient api = new ApiClient(config.load());
    JsonNode r = GroupCall.post(api, group, "failover", "?to=" + GroupCall.enc(to) + (force ? "&force=true" : ""));
    System.out.println(r.path("message").asText());
    return Waiting.untilRunning(api, group, to, Duration.ofSeconds(60));
  }
}
