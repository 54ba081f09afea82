package tandem.cli;

import java.io.IOException;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import tandem.backup.WalPush;
import tandem.config.TandemConfig;

@Command(name = "wal", description = "PostgreSQL WAL archiving for point-in-time recovery (backups with pitr: on).",
    subcommands = {WalCommand.Push.class})
final class WalCommand implements Runnable {
  @Override
  public void run() {
    picocli.CommandLine.usage(this, System.out);
  }

  @Command(name = "push", description = {"Push the WAL files PostgreSQL has archived on this node into the repository now",
      "(the agent does it every 5 s; this is for before a planned shutdown, or to check it works)."})
  static final class Push implements Callable<Integer> {
    @Mixin ConfigOption config;

    @Option(names = {"-g", "--group"}, description = "only this group")
    String group;

    @Override
    public Integer call() throws IOException {
      TandemConfig cfg = config.load();
      if (group != null && !cfg.groups().containsKey(group)) {
        throw new CliException(2, "no group '" + group + "' in " + config.path() + "; groups: " + cfg.groups().keySet());
      }
      List<WalPush.Pushed> pushed = WalPush.all(cfg, group);
      if (pushed.isEmpty()) {
        throw new CliException(2, "no backup in " + config.path() + " has pitr: on" + (group == null ? "" : " for group " + group)
            + ", so no WAL is archived");
      }
      for (WalPush.Pushed p : pushed) {
        System.out.println("group " + p.group() + ": " + p.files() + " WAL file(s) pushed into backup " + p.backup()
            + "'s repository");
      }
      return 0;
    }
  }
}
