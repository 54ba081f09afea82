package tandem.backup;

/**
 * Named points in the middle of writes where crash tests stop the process dead
 * ({@code Runtime.halt}: no shutdown hooks, no flushing, as kill -9), when the system property
 * {@code tandem.backup.crash-at} names the point. Never set in production.
 */
final class CrashPoint {
  private static final String AT = System.getProperty("tandem.backup.crash-at", "");

  private CrashPoint() {}

  static void reached(String name) {
    if (!AT.isEmpty() && AT.equals(name)) {
      Runtime.getRuntime().halt(137);
    }
  }
}
