package tandem.cli;

import java.util.List;

/**
 * The training run of the backup commands' AOT cache (dev/aot-train-backup.sh, JDK 25+): a first
 * backup, a backup with nothing changed, a restore and a verify reading all data, one after the
 * other in this JVM, which records the classes they load and link and their methods' profiles (JEP
 * 483, 515) as it exits. Not a command for users. Arguments: the tandem.yaml of a backup named
 * {@code train} and an empty directory to restore into. Exits 1 at the first command that fails.
 */
public final class BackupTraining {
  private BackupTraining() {}

  public static void main(String[] args) {
    if (args.length != 2) {
      System.err.println("usage: BackupTraining CONFIG RESTORE_DIR");
      System.exit(2);
    }
    for (List<String> command : List.of(
        List.of("backup", "run", "-c", args[0]),
        List.of("backup", "run", "-c", args[0]),
        List.of("backup", "restore", "latest", "--target", args[1], "-c", args[0]),
        List.of("backup", "verify", "--read-data", "100%", "-c", args[0]))) {
      String[] line = command.toArray(String[]::new);
      int code = Main.commandLine(line).execute(line);
      if (code != 0) {
        System.err.println("training: `tandem " + String.join(" ", command) + "` exited with " + code);
        System.exit(1);
      }
    }
    System.exit(0);
  }
}
