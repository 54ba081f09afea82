package tandem.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import tandem.config.TandemConfig;

@Command(name = "check-config", description = "Validate tandem.yaml; exit 2 with every problem named by its key.")
final class CheckConfigCommand implements Callable<Integer> {
  @Mixin ConfigOption config;

  @Override
  public Integer call() {
    TandemConfig cfg = config.load();
    System.out.println(config.path() + " is valid: cluster " + cfg.cluster() + ", node " + cfg.node().name()
        + (cfg.node().witness() ? " (witness)" : "") + ", " + cfg.groups().size() + " group(s) " + cfg.groups().keySet());
    return 0;
  }
}
