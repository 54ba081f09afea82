package tandem.config;

import java.time.Duration;
import java.util.Objects;

/** Argument checks shared by the records' compact constructors; the loader has already reported these with paths. */
final class Checks {
  private Checks() {}

  static Duration positive(Duration d, String name) {
    Objects.requireNonNull(d, name);
    if (d.isNegative() || d.isZero()) {
      throw new IllegalArgumentException(name + " must be more than zero, not " + d);
    }
    return d;
  }

  static int range(int value, int min, int max, String name) {
    if (value < min || value > max) {
      throw new IllegalArgumentException(name + " must be " + min + ".." + max + ", not " + value);
    }
    return value;
  }

  static String notBlank(String s, String name) {
    if (s == null || s.isBlank()) {
      throw new IllegalArgumentException(name + " must not be empty");
    }
    return s;
  }
}
