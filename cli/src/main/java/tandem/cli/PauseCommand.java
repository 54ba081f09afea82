package tandem.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

@Command(name = "pause", description = "Maintenance: no automatic failover of the group until `tandem resume`.")
final class PauseCommand implements Callable<Integer> {
  @Mixin ConfigOption config;
  @Parameters(index = "0", description = "the group") String group;

  @Override
  public Integer call() {
    System.out.println(GroupCall.post(new ApiClient(config.load()), group, "pause", "").path("message").asText());
    return 0;
  }
}
