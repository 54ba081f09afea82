package tandem.core;

/**
 * A monotonic time source in nanoseconds, as {@link System#nanoTime()}. Leases and debounce
 * windows are measured with it, never with the wall clock, so a clock step cannot shorten a
 * lease. Tests inject a fake one and advance it instead of sleeping.
 */
@FunctionalInterface
public interface Ticker {
  long nanos();

  static Ticker system() {
    return System::nanoTime;
  }
}
