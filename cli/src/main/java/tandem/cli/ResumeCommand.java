package tandem.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

@Command(name = "resume", description = "Turn automatic failover of the group back on.")
final class ResumeCommand implements Callable<Integer> {
  @Mixin ConfigOption config;
  @Parameters(index = "0", description = "the group") String group;

  @Override
  public Integer call() {
    System.out.println(GroupCall.post(new ApiClient(config.load()), group, "resume", "").path("message").asText());
    return 0;
  }
}
