package tandem.cli;

import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import tandem.config.ConfigProblem;
import tandem.config.ConfigWarnings;
import tandem.config.TandemConfig;

@Command(name = "check-config", description = "Validate tandem.yaml; exit 2 with every problem named by its key "
    + "(warnings are printed too but leave the exit code 0).")
final class CheckConfigCommand implements Callable<Integer> {
  @Mixin ConfigOption config;

  @Override
  public Integer call() {
    TandemConfig cfg = config.load();
    System.out.println(config.path() + " is valid: cluster " + cfg.cluster() + ", node " + cfg.node().name()
        + (cfg.node().witness() ? " (witness)" : "") + ", " + cfg.groups().size() + " group(s) " + cfg.groups().keySet());
    cfg.backups().values().forEach(b -> System.out.println("backup " + b.name() + ": repository " + b.repository()
        + (b.copyTo().isEmpty() ? "" : ", copy-to " + b.copyTo())
        + (b.s3CredentialsFile() == null ? "" : ", S3 credentials from " + b.s3CredentialsFile())));
    List<ConfigProblem> warnings = ConfigWarnings.of(cfg);
    if (!warnings.isEmpty()) {
      System.out.println(warnings.size() + (warnings.size() == 1 ? " warning:" : " warnings:"));
      for (ConfigProblem w : warnings) {
        System.out.println("  WARNING " + w);
      }
    }
    return 0;
  }
}
