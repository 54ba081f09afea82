package tandem.cli;

import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The `tandem` command: parses, then runs locally or calls the agent's API. No logic of its own. */
@Command(name = "tandem", mixinStandardHelpOptions = true, scope = CommandLine.ScopeType.INHERIT, version = "tandem 0.1.0",
    description = "High availability and disaster recovery for a few Linux servers.")
public final class Main implements Runnable {
  /** The subcommands by name, in the order `tandem --help` lists them. */
  private static final Map<String, Class<?>> COMMANDS = new LinkedHashMap<>();

  static {
    COMMANDS.put("init", InitCommand.class);
    COMMANDS.put("run", RunCommand.class);
    COMMANDS.put("invite", InviteCommand.class);
    COMMANDS.put("join", JoinCommand.class);
    COMMANDS.put("status", StatusCommand.class);
    COMMANDS.put("switchover", SwitchoverCommand.class);
    COMMANDS.put("failover", FailoverCommand.class);
    COMMANDS.put("leave", LeaveCommand.class);
    COMMANDS.put("remove-node", RemoveNodeCommand.class);
    COMMANDS.put("pause", PauseCommand.class);
    COMMANDS.put("resume", ResumeCommand.class);
    COMMANDS.put("events", EventsCommand.class);
    COMMANDS.put("sync", SyncCommand.class);
    COMMANDS.put("backup", BackupCommand.class);
    COMMANDS.put("pitr", PitrCommand.class);
    COMMANDS.put("wal", WalCommand.class);
    COMMANDS.put("check-config", CheckConfigCommand.class);
    COMMANDS.put("demo", DemoCommand.class);
    COMMANDS.put("help", CommandLine.HelpCommand.class);
  }

  /** The subcommands of {@code backup} by name, in the order `tandem backup --help` lists them. */
  private static final Map<String, Class<?>> BACKUP = new LinkedHashMap<>();

  static {
    BACKUP.put("run", BackupCommand.Run.class);
    BACKUP.put("list", BackupCommand.ListSnapshots.class);
    BACKUP.put("restore", BackupCommand.RestoreSnapshot.class);
    BACKUP.put("verify", BackupCommand.VerifyRepository.class);
    BACKUP.put("forget", BackupCommand.Forget.class);
    BACKUP.put("prune", BackupCommand.PruneRepository.class);
    BACKUP.put("copy", BackupCommand.CopySnapshots.class);
  }

  @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

  /** Usage with the subcommands this command line was given (they are added in {@link Main#commandLine}, not by annotation). */
  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  /**
   * The command line for {@code args}. Picocli reads the annotations of every command it is given
   * (about 0.1 s for all of tandem's, on every invocation), so only the subcommand that
   * {@code args} names is built; every one for no arguments, options, `help` or a wrong name, so
   * usage and mistakes are reported as before. The same one level down for {@code backup}, whose seven
   * subcommands were most of the time `tandem backup run` took before it called the agent.
   */
  static CommandLine commandLine(String... args) {
    CommandLine cl = new CommandLine(new Main());
    Class<?> named = args.length > 0 && !"help".equals(args[0]) ? COMMANDS.get(args[0]) : null;
    if (named != null) {
      cl.addSubcommand(command(named, args.length > 1 ? args[1] : null));
    } else {
      COMMANDS.values().forEach(c -> cl.addSubcommand(command(c, null)));
    }
    return cl.setExecutionExceptionHandler((e, cmd, parsed) -> {
      cmd.getErr().println("tandem: " + (e.getMessage() == null ? e.toString() : e.getMessage()));
      if (!(e instanceof CliException) && System.getenv("TANDEM_DEBUG") != null) {
        e.printStackTrace(cmd.getErr());
      }
      return e instanceof CliException ce ? ce.code : 1;
    });
  }

  /** Command {@code c} for picocli; for {@code backup}, with only its subcommand {@code child} when that names one. */
  private static Object command(Class<?> c, String child) {
    if (c != BackupCommand.class) {
      return c;
    }
    CommandLine backup = new CommandLine(BackupCommand.class);
    Class<?> sub = child == null ? null : BACKUP.get(child);
    if (sub != null) {
      backup.addSubcommand(sub);
    } else {
      BACKUP.values().forEach(backup::addSubcommand);
    }
    return backup;
  }

  /** The names of the subcommands (for tests). */
  static java.util.Set<String> commandNames() {
    return COMMANDS.keySet();
  }

  /** The names of the subcommands of {@code backup} (for tests). */
  static java.util.Set<String> backupCommandNames() {
    return BACKUP.keySet();
  }

  public static void main(String[] args) {
    System.exit(commandLine(args).execute(args));
  }
}
