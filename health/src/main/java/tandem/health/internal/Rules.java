package tandem.health.internal;

import tandem.config.CheckConfig;

/**
 * How one check is debounced.
 *
 * @param rise passes in a row that make a check PASSING
 * @param fall failures in a row that make a check FAILING, or trigger a fix
 * @param fixAttempts fixes to try per failure episode before FAILING; 0 when there is no fix
 */
public record Rules(int rise, int fall, int fixAttempts) {
  public Rules {
    if (rise < 1 || fall < 1 || fixAttempts < 0) {
      throw new IllegalArgumentException(
          "rise and fall must be >= 1 and fixAttempts >= 0, got rise=" + rise + ", fall=" + fall
              + ", fixAttempts=" + fixAttempts);
    }
  }

  /** The rules of a configured check (validated by tandem.config); a check without a fix gets no attempts. */
  public static Rules of(CheckConfig check) {
    return new Rules(check.rise(), check.fall(), check.fix().isPresent() ? check.fixAttempts() : 0);
  }
}
