package tandem.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import picocli.CommandLine;

/** `--help` and `-h` work on every command and subcommand, as an operator types them first. */
class HelpOptionTest {
  @ParameterizedTest
  @ValueSource(strings = {"status --help", "backup --help", "backup restore -h", "sync status --help", "pitr --help",
      "switchover --help", "run -h"})
  void helpOption_printsTheCommandsUsageAndSucceeds(String line) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = new CommandLine(new Main()).setOut(new PrintWriter(out)).setErr(new PrintWriter(err))
        .execute(line.split(" "));
    String command = line.replace(" --help", "").replace(" -h", "");
    assertThat(err.toString()).as("stderr").doesNotContain("Unknown option");
    assertThat(code).as("exit code of `tandem " + line + "`").isZero();
    assertThat(out.toString()).contains("Usage: tandem " + command);
  }
}
