package tandem.cli;

import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import tandem.core.Durations;
import tandem.config.ConfigProblem;
import tandem.config.ConfigWarnings;
import tandem.config.GroupConfig;
import tandem.config.MariadbConfig;
import tandem.config.MaxLag;
import tandem.config.ResourceConfig;
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
    for (GroupConfig g : cfg.groups().values()) {
      for (ResourceConfig r : g.resources()) {
        if (r instanceof MariadbConfig m) {
          System.out.println("  group " + g.name() + ": " + m.kind() + " " + m.data() + " " + replication(m));
        }
      }
    }
    List<ConfigProblem> warnings = ConfigWarnings.of(cfg);
    if (!warnings.isEmpty()) {
      System.out.println(warnings.size() + (warnings.size() == 1 ? " warning:" : " warnings:"));
      for (ConfigProblem w : warnings) {
        System.out.println("  WARNING " + w);
      }
    }
    return 0;
  }

  /** How a MariaDB resource replicates and what a failover may lose with it. */
  static String replication(MariadbConfig m) {
    if (!m.dumps()) {
      String limit = switch (m.maxLagOnFailover()) {
        case MaxLag.Transactions t -> t.count() + " transactions behind";
        case MaxLag.Behind b -> Durations.format(b.time()) + " behind in time";
      };
      return "replication: gtid (binlog by GTID" + (m.semiSync() ? ", semi-sync" : "") + "; a replica more than "
          + limit + " is not promoted automatically)";
    }
    String every = Durations.format(m.dumpInterval());
    return "replication: dump every " + every + " (no binlog); a failover loses every write made after the promoted"
        + " replica's last completed copy: up to " + every + " plus the time a dump takes, more while dumps fail";
  }
}
