package tandem.health;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class HealthReportTest {
  @Test
  void weightAdjustment_countsPassingPositiveAndFailingNegativeWeightsOnly() {
    HealthReport report = report(
        check("a", CheckState.PASSING, 10, false),
        check("b", CheckState.FAILING, 5, false),
        check("c", CheckState.FAILING, -20, false),
        check("d", CheckState.PASSING, -7, false),
        check("e", CheckState.UNKNOWN, 3, false),
        check("f", CheckState.UNKNOWN, -3, false));

    assertThat(report.weightAdjustment()).isEqualTo(10 - 20);
  }

  @Test
  void criticalCheckFailing_failsTheReport() {
    HealthReport report = report(check("a", CheckState.PASSING, 0, false), check("b", CheckState.FAILING, 0, true));

    assertThat(report.criticalFailing()).isTrue();
    assertThat(report.passing()).isFalse();
  }

  @Test
  void nonCriticalFailingAndCriticalUnknown_stillPass() {
    HealthReport report = report(check("a", CheckState.FAILING, -10, false), check("b", CheckState.UNKNOWN, 0, true));

    assertThat(report.criticalFailing()).isFalse();
    assertThat(report.passing()).isTrue();
  }

  @Test
  void allPassing_summarisedAsCount() {
    HealthReport report = report(check("a", CheckState.PASSING, 0, false), check("b", CheckState.PASSING, 0, true));

    assertThat(report.summary()).isEqualTo("2/2 passing");
  }

  @Test
  void mixedStates_summarisedPerCheck() {
    HealthReport report = report(
        new CheckStatus("web", "http", CheckState.FAILING, 0, true, "HTTP 503 from http://127.0.0.1/", 0),
        new CheckStatus("app", "command", CheckState.FAILING, 0, false, "exit 1", 2),
        new CheckStatus("data", "disk", CheckState.PASSING, 0, false, "3.0 GiB free (40%) on /", 0),
        new CheckStatus("db", "tcp", CheckState.UNKNOWN, 0, false, "connect to 127.0.0.1:5432 refused", 0),
        new CheckStatus("new", "tcp", CheckState.UNKNOWN, 0, false, "", 0),
        new CheckStatus("tcp:127.0.0.1:6432", "tcp", CheckState.PASSING, 0, false, "connected", 0));

    assertThat(report.summary()).isEqualTo("http:web failing (HTTP 503 from http://127.0.0.1/); "
        + "command:app failing after 2 fixes (exit 1); disk:data ok; "
        + "tcp:db unknown (last: connect to 127.0.0.1:5432 refused); tcp:new unknown; tcp:127.0.0.1:6432 ok");
  }

  @Test
  void empty_passesWithNoWeight() {
    HealthReport report = HealthReport.empty("pg");

    assertThat(report.passing()).isTrue();
    assertThat(report.weightAdjustment()).isZero();
    assertThat(report.summary()).isEqualTo("no checks");
    assertThat(report.group()).isEqualTo("pg");
  }

  private static HealthReport report(CheckStatus... checks) {
    return new HealthReport("pg", List.of(checks));
  }

  private static CheckStatus check(String name, CheckState state, int weight, boolean critical) {
    return new CheckStatus(name, "command", state, weight, critical, "", 0);
  }
}
