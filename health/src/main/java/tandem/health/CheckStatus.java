package tandem.health;

import java.util.Objects;

/**
 * The debounced status of one configured check, as shown in a {@link HealthReport}.
 *
 * @param name the check's name from the configuration
 * @param kind the check's kind: tcp, http, command, process or disk
 * @param state the debounced verdict
 * @param weight how much the check moves this node's priority (keepalived semantics)
 * @param critical whether a failing check makes the whole group unhealthy
 * @param detail what the latest run saw, or "" before the first run
 * @param fixAttemptsUsed fix commands run in the current failure episode
 * @param failuresInARow runs that failed since the last pass (not capped at fall; 0 while passing)
 */
public record CheckStatus(
    String name, String kind, CheckState state, int weight, boolean critical, String detail, int fixAttemptsUsed,
    int failuresInARow) {

  /** A status without a count of failures in a row. */
  public CheckStatus(String name, String kind, CheckState state, int weight, boolean critical, String detail,
      int fixAttemptsUsed) {
    this(name, kind, state, weight, critical, detail, fixAttemptsUsed, 0);
  }

  public CheckStatus {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(state, "state");
    Objects.requireNonNull(detail, "detail");
  }

  /** The name used in messages, e.g. "http:web". */
  public String label() {
    return label(kind, name);
  }

  /**
   * "kind:name", or the name alone when it already starts with its kind: a check without a name of its own is
   * called "kind:target" (e.g. "tcp:127.0.0.1:5432"), which must not read "tcp:tcp:127.0.0.1:5432".
   */
  public static String label(String kind, String name) {
    return name.startsWith(kind + ":") ? name : kind + ":" + name;
  }
}
