package tandem.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import tandem.core.Durations;

@Command(name = "switchover", description = "Planned move of a group to another node; waits until it runs there.")
final class SwitchoverCommand implements Callable<Integer> {
  @Mixin ConfigOption config;
  @Parameters(index = "0", description = "the group") String group;
  @Option(names = "--to", required = true, description = "the node that takes over") String to;
  @Option(names = "--wait", defaultValue = "120s", description = "how long to wait for it to run there (default 120s)") String wait;

  @Override
  public Integer call() throws InterruptedException {
    ApiClient api = new ApiClient(config.load());
    JsonNode r = GroupCall.post(api, group, "switchover", "?to=" + GroupCall.enc(to));
    System.out.println(r.path("message").asText());
    return Waiting.untilRunning(api, group, to, Durations.parse(wait));
  }
}
