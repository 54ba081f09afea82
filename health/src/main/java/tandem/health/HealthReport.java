package tandem.health;

import java.util.List;
import java.util.Objects;
import java.util.stream.Collectors;

/**
 * An immutable snapshot of every check of one group, with the verdicts the agent acts on.
 *
 * @param group the group the checks belong to
 * @param checks the status of each check, in configuration order
 */
public record HealthReport(String group, List<CheckStatus> checks) {
  public HealthReport {
    Objects.requireNonNull(group, "group");
    checks = List.copyOf(checks);
  }

  /** A report with no checks: healthy, as a group without checks has nothing to fail. */
  public static HealthReport empty(String group) {
    return new HealthReport(group, List.of());
  }

  /** True when some critical check is {@link CheckState#FAILING}. */
  public boolean criticalFailing() {
    return checks.stream().anyMatch(c -> c.critical() && c.state() == CheckState.FAILING);
  }

  /**
   * The change to this node's priority, as keepalived computes it: the weight of every passing
   * check with a positive weight plus the weight of every failing check with a negative weight.
   * Unknown checks count nothing.
   */
  public int weightAdjustment() {
    return checks.stream().mapToInt(HealthReport::weightOf).sum();
  }

  /** True when every critical check is {@link CheckState#PASSING} (none unknown or failing), or there is none. */
  public boolean criticalPassing() {
    return checks.stream().noneMatch(c -> c.critical() && c.state() != CheckState.PASSING);
  }

  /** True when no critical check is failing, so the node may serve the group. */
  public boolean passing() {
    return !criticalFailing();
  }

  /** One line for status pages: "3/3 passing", or each check, e.g. "http:web failing (HTTP 503 ...); disk:data ok". */
  public String summary() {
    if (checks.isEmpty()) {
      return "no checks";
    }
    long passingCount = checks.stream().filter(c -> c.state() == CheckState.PASSING).count();
    if (passingCount == checks.size()) {
      return passingCount + "/" + checks.size() + " passing";
    }
    return checks.stream().map(HealthReport::phrase).collect(Collectors.joining("; "));
  }

  private static int weightOf(CheckStatus c) {
    boolean counts = c.weight() > 0 ? c.state() == CheckState.PASSING : c.state() == CheckState.FAILING;
    return counts ? c.weight() : 0;
  }

  private static String phrase(CheckStatus c) {
    return switch (c.state()) {
      case PASSING -> c.label() + " ok";
      case FAILING -> c.label() + " failing" + fixes(c) + " (" + c.detail() + ")";
      case UNKNOWN -> c.label() + " unknown" + (c.detail().isEmpty() ? "" : " (last: " + c.detail() + ")");
    };
  }

  private static String fixes(CheckStatus c) {
    int n = c.fixAttemptsUsed();
    return n == 0 ? "" : " after " + n + (n == 1 ? " fix" : " fixes");
  }
}
