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
    List<ConfigProblem> warnings = new java.util.ArrayList<>(ConfigWarnings.of(cfg));
    warnings.addAll(programs(cfg));
    if (!warnings.isEmpty()) {
      System.out.println(warnings.size() + (warnings.size() == 1 ? " warning:" : " warnings:"));
      for (ConfigProblem w : warnings) {
        System.out.println("  WARNING " + w);
      }
    }
    return 0;
  }

  /**
   * The database programs this node lacks for the groups it holds data of (a witness holds none):
   * the server cannot start here without them, or would be the wrong one (Debian's MariaDB installs
   * a mysqld that is MariaDB's).
   */
  static List<ConfigProblem> programs(TandemConfig cfg) {
    List<ConfigProblem> out = new java.util.ArrayList<>();
    if (cfg.node().witness()) {
      return out;
    }
    for (GroupConfig g : cfg.groups().values()) {
      if (!g.nodes().containsKey(cfg.node().name())) {
        continue;
      }
      for (int i = 0; i < g.resources().size(); i++) {
        if (g.resources().get(i) instanceof MariadbConfig m) {
          for (String problem : tandem.db.mariadb.MyPrograms.problems(m.bin(), m.mysql())) {
            out.add(new ConfigProblem("groups." + g.name() + ".resources[" + i + "]." + m.kind() + ".bin", problem));
          }
        }
      }
    }
    return out;
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
