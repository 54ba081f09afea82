package tandem.config;

import static org.assertj.core.api.Assertions.assertThat;
import static tandem.config.ConfigFixtures.problemOf;
import static tandem.config.ConfigFixtures.problemsOf;
import static tandem.config.ConfigFixtures.withCheck;
import static tandem.config.ConfigFixtures.withGroup;

import org.junit.jupiter.api.Test;

class CheckRulesTest {
  private static final String PATH = "groups.web.checks[0]";

  @Test
  void badInterval_namesTheCheckAndUsesTheDurationMessage() {
    assertThat(problemOf(withCheck("tcp: 127.0.0.1:5432\ninterval: abc")).toString()).isEqualTo(
        "groups.web.checks[0].interval: 'abc' is not a duration: write e.g. 500ms, 2s, 1m30s, 1h, 14d");
  }

  @Test
  void timeoutLongerThanInterval_isRejected() {
    assertThat(problemOf(withCheck("tcp: 127.0.0.1:5432\ninterval: 1s\ntimeout: 1500ms"))).isEqualTo(
        new ConfigProblem(PATH + ".timeout", "1.5s is longer than interval (1s); a run must end before the next "
            + "starts: make timeout at most the interval or raise interval"));
  }

  @Test
  void timeoutEqualToInterval_isFine() throws ConfigException {
    assertThat(ConfigFixtures.load(withCheck("tcp: 127.0.0.1:5432\ninterval: 2s\ntimeout: 2s")).groups()).hasSize(1);
  }

  @Test
  void criticalWithWeight_isRejected() {
    assertThat(problemOf(withCheck("tcp: 127.0.0.1:5432\ncritical: true\nweight: -20"))).isEqualTo(
        new ConfigProblem(PATH + ".critical", "a critical check makes the node ineligible on its own, so weight -20 "
            + "would never count; remove weight or critical"));
  }

  @Test
  void fixAttemptsWithoutFix_isRejected() {
    assertThat(problemOf(withCheck("tcp: 127.0.0.1:5432\nfix-attempts: 5"))).isEqualTo(new ConfigProblem(
        PATH + ".fix-attempts",
        "is set but there is no fix; add fix: <command that repairs it> or remove fix-attempts"));
  }

  @Test
  void fixAttemptsOutOfRange_givesTheRange() {
    assertThat(problemOf(withCheck("tcp: 127.0.0.1:5432\nfix: restart.sh\nfix-attempts: 101")))
        .isEqualTo(new ConfigProblem(PATH + ".fix-attempts", "must be from 1 to 100, not 101"));
  }

  @Test
  void fallOfZero_isRejectedNotClamped() {
    assertThat(problemOf(withCheck("tcp: 127.0.0.1:5432\nfall: 0")))
        .isEqualTo(new ConfigProblem(PATH + ".fall", "must be at least 1, not 0"));
  }

  @Test
  void riseThatIsNotANumber_showsTheDefault() {
    assertThat(problemOf(withCheck("tcp: 127.0.0.1:5432\nrise: two")))
        .isEqualTo(new ConfigProblem(PATH + ".rise", "'two' is not a whole number; write e.g. 2"));
  }

  @Test
  void weightOutOfRange_givesTheRange() {
    assertThat(problemOf(withCheck("tcp: 127.0.0.1:5432\nweight: 300")))
        .isEqualTo(new ConfigProblem(PATH + ".weight", "must be from -254 to 254, not 300"));
  }

  @Test
  void unknownScope_listsTheChoices() {
    assertThat(problemOf(withCheck("tcp: 127.0.0.1:5432\non: everywhere")))
        .isEqualTo(new ConfigProblem(PATH + ".on", "'everywhere' is not a check scope: use service or node"));
  }

  @Test
  void twoKinds_askForSeparateItems() {
    assertThat(problemOf(withCheck("tcp: 127.0.0.1:5432\ncommand: pg_isready"))).isEqualTo(new ConfigProblem(PATH,
        "has both tcp and command: each check has exactly one kind; split them into separate list items"));
  }

  @Test
  void noKind_listsTheKinds() {
    assertThat(problemOf(withCheck("name: db\ninterval: 1s"))).isEqualTo(new ConfigProblem(PATH, "say which kind of "
        + "check this is with one of the keys tcp, http, command, process, disk or sql, e.g. - tcp: 127.0.0.1:5432"));
  }

  @Test
  void misspeltKind_isOnlyReportedAsUnknownKey() {
    assertThat(problemOf(withCheck("tpc: 127.0.0.1:5432")))
        .isEqualTo(new ConfigProblem(PATH + ".tpc", "unknown key 'tpc'; did you mean 'tcp'?"));
  }

  @Test
  void badTcpAddress_showsTheExpectedForm() {
    assertThat(problemOf(withCheck("tcp: localhost")))
        .isEqualTo(new ConfigProblem(PATH + ".tcp", "'localhost' is not host:port, e.g. 10.0.0.1:7400"));
  }

  @Test
  void nonHttpUrl_isRejected() {
    assertThat(problemOf(withCheck("http: ftp://files.lan/health"))).isEqualTo(new ConfigProblem(PATH + ".http",
        "'ftp://files.lan/health' is not an http or https URL with a host; write e.g. http://127.0.0.1:8080/health"));
  }

  @Test
  void httpMapWithoutUrl_isRequired() {
    assertThat(problemOf(withCheck("http: { expect-status: 200 }"))).isEqualTo(new ConfigProblem(PATH + ".http.url",
        "required: the URL to get, e.g. url: http://127.0.0.1:8080/health"));
  }

  @Test
  void impossibleExpectStatus_isRejected() {
    assertThat(problemOf(withCheck("http: { url: http://127.0.0.1/, expect-status: 42 }"))).isEqualTo(
        new ConfigProblem(PATH + ".http.expect-status", "must be an HTTP status from 100 to 599, not 42; leave it "
            + "out to accept any 2xx or 3xx"));
  }

  @Test
  void processWithPidfileAndName_asksForOne() {
    assertThat(problemOf(withCheck("process: { pidfile: /run/a.pid, name: a }"))).isEqualTo(new ConfigProblem(
        PATH + ".process", "has both pidfile and name: give exactly one, e.g. process: { pidfile: /run/nginx.pid } or "
            + "process: { name: nginx }"));
  }

  @Test
  void diskSizeWithoutUnit_asksForAUnit() {
    assertThat(problemOf(withCheck("disk: { path: /var/lib, min-free: 1000 }"))).isEqualTo(new ConfigProblem(
        PATH + ".disk.min-free", "'1000' has no unit: write e.g. 500MB, 1GiB or 10%"));
  }

  @Test
  void diskWithoutPathOrMinimum_namesBoth() {
    assertThat(problemsOf(withCheck("disk: {}"))).extracting(ConfigProblem::path)
        .containsExactly(PATH + ".disk.path", PATH + ".disk.min-free");
  }

  @Test
  void duplicateCheckNames_areRejectedAtTheLaterCheck() {
    String yaml = withGroup("""
        nodes: { n1: primary }
        checks:
          - tcp: 127.0.0.1:5432
          - http: not a url
          - tcp: 127.0.0.1:5432
        """);

    assertThat(problemsOf(yaml)).containsExactly(
        new ConfigProblem("groups.web.checks[1].http",
            "'not a url' is not a URL (Illegal character in path); write e.g. http://127.0.0.1:8080/health"),
        new ConfigProblem("groups.web.checks[2].name", "'tcp:127.0.0.1:5432' is already the name of checks[0]; "
            + "set name: on one of them so that each check has its own"));
  }

  @Test
  void emptyListItem_asksForACheck() {
    assertThat(problemOf(withGroup("nodes: { n1: primary }\nchecks:\n  -\n"))).isEqualTo(new ConfigProblem(
        PATH, "empty list item; describe a check, e.g. - tcp: 127.0.0.1:5432"));
  }

  private static final String WITH_DB = "nodes: { n1: primary, n2: passive }\nresources:\n  - postgres: { data: /srv/pg }\nchecks:\n";

  @Test
  void sqlCheck_readsAsAQueryOrAMapping() throws ConfigException {
    TandemConfig c = ConfigFixtures.load(withGroup(WITH_DB + "  - sql: SELECT 1\n"
        + "  - sql: { query: \"SELECT count(*) FROM orders\", database: shop, expect: \"2\" }\n"));

    var checks = c.groups().get("web").checks();
    assertThat(checks.get(0).target()).isEqualTo(new CheckTarget.Sql("SELECT 1", java.util.Optional.empty(), java.util.Optional.empty()));
    assertThat(checks.get(0).name()).isEqualTo("sql:SELECT 1");
    assertThat(checks.get(1).target()).isEqualTo(new CheckTarget.Sql("SELECT count(*) FROM orders", java.util.Optional.of("shop"),
        java.util.Optional.of("2")));
  }

  @Test
  void sqlCheck_inAGroupWithoutADatabase_isRejectedSayingWhatToDo() {
    assertThat(problemOf(withCheck("sql: SELECT 1"))).isEqualTo(new ConfigProblem(PATH + ".sql",
        "this group has no database resource to query; add a postgres or mariadb resource to the group, or check the server with"
            + " tcp: or command: instead"));
  }

  @Test
  void sqlCheck_withoutAQuery_namesTheKey() {
    assertThat(problemOf(withGroup(WITH_DB + "  - sql: { database: shop }\n")).toString()).isEqualTo(
        "groups.web.checks[0].sql.query: required: the query to run on the group's database, e.g. query: SELECT 1");
  }
}
