package tandem.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The `tandem` command: parses, then runs locally or calls the agent's API. No logic of its own. */
@Command(name = "tandem", mixinStandardHelpOptions = true, scope = CommandLine.ScopeType.INHERIT, version = "tandem 0.1.0",
    description = "High availability and disaster recovery for a few Linux servers.",
    subcommands = {InitCommand.class, RunCommand.class, InviteCommand.class, JoinCommand.class, StatusCommand.class,
        SwitchoverCommand.class, FailoverCommand.class, LeaveCommand.class, RemoveNodeCommand.class, PauseCommand.class, ResumeCommand.class, EventsCommand.class, SyncCommand.class, BackupCommand.class, PitrCommand.class, WalCommand.class,
        CheckConfigCommand.class, DemoCommand.class, CommandLine.HelpCommand.class})
public final class Main implements Runnable {
  @Override
  public void run() {
    CommandLine.usage(this, System.out);
  }

  public static void main(String[] args) {
    int code = new CommandLine(new Main())
        .setExecutionExceptionHandler((e, cmd, parsed) -> {
          cmd.getErr().println("tandem: " + (e.getMessage() == null ? e.toString() : e.getMessage()));
          if (!(e instanceof CliException) && System.getenv("TANDEM_DEBUG") != null) {
            e.printStackTrace(cmd.getErr());
          }
          return e instanceof CliException ce ? ce.code : 1;
        })
        .execute(args);
    System.exit(code);
  }
}
