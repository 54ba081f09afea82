package tandem.db.postgres;

import java.util.Locale;

/** PostgreSQL's WAL positions ("0/3000060", two hex halves) as plain byte offsets. */
final class Lsn {
  private Lsn() {}

  /** The byte offset of {@code text}; -1 for null (PostgreSQL's "none"). */
  static long parse(String text) {
    if (text == null || text.isBlank()) {
      return -1;
    }
    int slash = text.indexOf('/');
    if (slash < 0) {
      throw new IllegalArgumentException("'" + text + "' is not a WAL position (expected e.g. 0/3000060)");
    }
    return Long.parseUnsignedLong(text.substring(0, slash).trim(), 16) << 32
        | Long.parseUnsignedLong(text.substring(slash + 1).trim(), 16);
  }

  static String format(long lsn) {
    return lsn < 0 ? "none" : String.format(Locale.ROOT, "%X/%X", lsn >>> 32, lsn & 0xFFFFFFFFL);
  }
}
