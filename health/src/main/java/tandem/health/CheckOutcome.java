package tandem.health;

import java.util.Objects;

/**
 * The outcome of one run of a check: whether it passed, and what it saw, said for a human.
 *
 * @param passed true when the thing checked looked healthy
 * @param detail what the check saw, e.g. "HTTP 503 from http://127.0.0.1/health",
 *     "connect to 127.0.0.1:5432 refused", "exit 1: no response", "12.3 GiB free (40%) on /var"
 */
public record CheckOutcome(boolean passed, String detail) {
  public CheckOutcome {
    Objects.requireNonNull(detail, "detail");
  }

  /** A passing outcome with {@code detail}. */
  public static CheckOutcome pass(String detail) {
    return new CheckOutcome(true, detail);
  }

  /** A failing outcome with {@code detail}. */
  public static CheckOutcome fail(String detail) {
    return new CheckOutcome(false, detail);
  }
}
