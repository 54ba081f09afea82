package tandem.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CheckConfigCommandTest {
  static final String BASE = """
      cluster: shop
      node: { name: n1, listen: 127.0.0.1:7400, api: 127.0.0.1:8400 }
      groups:
        web:
          nodes: { n1: primary, n2: passive }
          resources:
            - service: { start: "true", stop: "true", timeout: %s }
      """;

  final PrintStream realOut = System.out;
  final ByteArrayOutputStream out = new ByteArrayOutputStream();
  @TempDir Path dir;

  @AfterEach
  void back() {
    System.setOut(realOut);
  }

  @Test
  void stopTimeoutBeyondTheFenceWindow_isAWarning_andTheExitCodeStays0() throws Exception {
    int code = checkConfig(BASE.formatted("30s"));

    assertThat(code).isZero();
    assertThat(out.toString(StandardCharsets.UTF_8)).contains("is valid", "1 warning:",
        "  WARNING groups.web.resources[0].service.timeout: the stop command may run for up to 30s",
        "Raise failover.lease to");
  }

  @Test
  void stopTimeoutInsideTheFenceWindow_printsNoWarning() throws Exception {
    int code = checkConfig(BASE.formatted("500ms"));

    assertThat(code).isZero();
    assertThat(out.toString(StandardCharsets.UTF_8)).contains("is valid").doesNotContain("WARNING");
  }

  @Test
  void mariadbWithDumps_statesTheIntervalAndTheDataLossWindow() throws Exception {
    int code = checkConfig(BASE.formatted("500ms") + "      - mariadb: { data: /srv/mysql, replication: dump,"
        + " dump-interval: 2m }\n");

    assertThat(code).isZero();
    assertThat(out.toString(StandardCharsets.UTF_8)).contains("  group web: mariadb /srv/mysql replication: dump every 2m"
        + " (no binlog); a failover loses every write made after the promoted replica's last completed copy: up to 2m plus"
        + " the time a dump takes, more while dumps fail");
  }

  @Test
  void mariadbWithDumpsAndSemiSync_isInvalid_namingTheKey() throws Exception {
    Path file = dir.resolve("tandem.yaml");
    Files.writeString(file, BASE.formatted("500ms") + "      - mariadb: { data: /srv/mysql, replication: dump, semi-sync: on }\n");
    CheckConfigCommand command = new CheckConfigCommand();
    command.config = new ConfigOption();
    command.config.config = file;

    org.assertj.core.api.Assertions.assertThatThrownBy(command::call).isInstanceOf(CliException.class)
        .hasMessageContaining("groups.web.resources[1].mariadb.semi-sync")
        .hasMessageContaining("replication: dump has no binlog")
        .satisfies(e -> assertThat(((CliException) e).code).isEqualTo(2));
  }

  @Test
  void databasePrograms_missingOrOfTheWrongServer_areWarningsNamingTheKeyAndTheFix() throws Exception {
    Path empty = java.nio.file.Files.createDirectories(dir.resolve("no-programs"));
    // A mysql resource whose bin lacks MySQL: nothing of MySQL here, and Debian's MariaDB (installed for the tests)
    // answers to "mysqld" in /usr/sbin: both are named.
    int code = checkConfig(BASE.formatted("500ms") + "      - mysql: { data: /srv/mysql, bin: " + empty + " }\n");

    assertThat(code).isZero();
    String text = out.toString(StandardCharsets.UTF_8);
    assertThat(text).contains("  WARNING groups.web.resources[1].mysql.bin: ")
        .contains("/usr/sbin/mysqld is MariaDB's server (").contains("not MySQL's: for MariaDB use a mariadb: resource;"
            + " for MySQL set mysql.bin to the directory of MySQL's programs");

    out.reset();
    code = checkConfig(BASE.formatted("500ms") + "      - mysql: { data: /srv/mysql, bin: "
        + System.getProperty("tandem.mysql.bin", "/opt/tandem-mysql/bin") + " }\n");
    assertThat(code).isZero();
    assertThat(out.toString(StandardCharsets.UTF_8)).as("MySQL's programs (dev/mysql.sh) are found").doesNotContain("WARNING");

    out.reset();
    code = checkConfig(BASE.formatted("500ms").replace("n1: primary, n2: passive", "n2: primary, n3: passive")
        + "      - mysql: { data: /srv/mysql, bin: " + empty + " }\n");
    assertThat(out.toString(StandardCharsets.UTF_8)).as("a node that holds no data of the group needs no programs")
        .doesNotContain("WARNING");
  }

  private int checkConfig(String yaml) throws Exception {
    Path file = dir.resolve("tandem.yaml");
    Files.writeString(file, yaml);
    System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
    return Main.commandLine("check-config").execute("check-config", "-c", file.toString());
  }
}
