package tandem.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "remove-node", description = "Remove a member that is gone for good (run on any other member); its "
    + "certificate is refused from then on. A running primary that answers is refused: use `tandem leave` on it.")
final class RemoveNodeCommand implements Callable<Integer> {
  @Mixin ConfigOption config;
  @Parameters(index = "0", description = "the member's name") String node;
  @Option(names = "--force", description = "remove it even when it is a running primary that answers")
  boolean force;

  @Override
  public Integer call() {
    JsonNode r = new ApiClient(config.load()).post("/api/v1/members/" + GroupCall.enc(node) + "/remove"
        + (force ? "?force=true" : ""));
    System.out.println(r.path("message").asText());
    return 0;
  }
}
