package tandem.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import tandem.config.TandemConfig;

@Command(name = "invite", description = "Print a one-time join token, this node's address and ID.")
final class InviteCommand implements Callable<Integer> {
  @Mixin ConfigOption config;

  @Option(names = "--ttl", defaultValue = "1h", description = "how long the token stays valid (default 1h)") String ttl;

  @Override
  public Integer call() {
    TandemConfig cfg = config.load();
    JsonNode r = new ApiClient(cfg).post("/api/v1/invite?ttl=" + ttl);
    String token = r.path("token").asText();
    System.out.println("token:   " + token);
    System.out.println("address: " + cfg.node().listen());
    System.out.println("on the new node, after `tandem init`:");
    System.out.println("  tandem join " + cfg.node().listen() + " --token " + token);
    return 0;
  }
}
