package tandem.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** `--help` and `-h` work on every command and subcommand, as an operator types them first. */
class HelpOptionTest {
  @ParameterizedTest
  @ValueSource(strings = {"status --help", "backup --help", "backup restore -h", "sync status --help", "pitr --help",
      "switchover --help", "run -h"})
  void helpOption_printsTheCommandsUsageAndSucceeds(String line) {
    Result r = tandem(line);
    String command = line.replace(" --help", "").replace(" -h", "");
    assertThat(r.err).as("stderr").doesNotContain("Unknown option");
    assertThat(r.code).as("exit code of `tandem " + line + "`").isZero();
    assertThat(r.out).contains("Usage: tandem " + command);
  }

  /** Only the named subcommand is built for a run; usage, `help` and mistakes still see all of them. */
  @ParameterizedTest
  @ValueSource(strings = {"--help", "help", "-h", ""})
  void topLevelHelp_listsEverySubcommand(String line) {
    Result r = line.isEmpty() ? tandem() : tandem(line);
    assertThat(r.code).isZero();
    lists(r, line, Main.commandNames());
  }

  private static void lists(Result r, String line, java.util.Set<String> names) {
    for (String name : names) {
      assertThat(r.out).as("`tandem %s` lists %s", line, name).containsPattern("(?m)^\\s+" + name + "\\b");
    }
  }

  @Test
  void helpForOneSubcommand_andAMistypedOne() {
    Result help = tandem("help backup");
    assertThat(help.code).isZero();
    assertThat(help.out).contains("Usage: tandem backup").contains("restore");
    mistyped("bakcup run", "bakcup", "Did you mean: tandem backup");
  }

  /** `tandem line` exits 2 naming {@code word}, and its error matches {@code hint}. */
  private static void mistyped(String line, String word, String hint) {
    Result wrong = tandem(line);
    assertThat(wrong.code).isEqualTo(2);
    assertThat(wrong.err).contains("Unmatched argument").contains(word).containsPattern(hint);
  }

  /** `backup run` builds only `run`; `backup --help`, `help backup` and a mistyped subcommand still see all seven. */
  @Test
  void backupsSubcommands_allListed_oneBuiltForARun() {
    for (String line : List.of("backup --help", "help backup", "backup")) {
      lists(tandem(line), line, Main.backupCommandNames());
    }
    assertThat(Main.commandLine("backup", "run").getSubcommands().get("backup").getSubcommands()).containsOnlyKeys("run");
    Result run = tandem("backup run --help");
    assertThat(run.code).isZero();
    assertThat(run.out).contains("Usage: tandem backup run").contains("--local");
    mistyped("backup rnu", "rnu", "(?m)^\\s+run\\b");
  }

  @Test
  void version_isAnsweredWithoutASubcommand() {
    Result r = tandem("--version");
    assertThat(r.code).isZero();
    assertThat(r.out).startsWith("tandem ");
  }

  private record Result(int code, String out, String err) {}

  private static Result tandem(String line) {
    return tandem(line.split(" "));
  }

  private static Result tandem(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = Main.commandLine(args).setOut(new PrintWriter(out)).setErr(new PrintWriter(err)).execute(args);
    return new Result(code, out.toString(), err.toString());
  }
}
