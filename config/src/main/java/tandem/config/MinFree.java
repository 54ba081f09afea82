package tandem.config;

import java.math.BigDecimal;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A disk check's {@code min-free:} value: a size ("500MB", "1GiB") or a percentage ("10%"); exactly one part is set.
 *
 * @param bytes the least free bytes, or 0
 * @param percent the least free percentage, or 0
 */
record MinFree(long bytes, int percent) {
  private static final Pattern SIZE =
      Pattern.compile("([0-9]+(?:\\.[0-9]+)?) ?([KMGT]i?B|B)", Pattern.CASE_INSENSITIVE);
  private static final Pattern PERCENT = Pattern.compile("([0-9]{1,3}) ?%");
  private static final Map<String, Long> UNITS = Map.of(
      "b", 1L, "kb", 1_000L, "mb", 1_000_000L, "gb", 1_000_000_000L, "tb", 1_000_000_000_000L,
      "kib", 1L << 10, "mib", 1L << 20, "gib", 1L << 30, "tib", 1L << 40);
  private static final String FORMS = "write e.g. 500MB, 1GiB or 10%";

  /** Parses a size or a percentage; throws IllegalArgumentException saying the accepted forms. */
  static MinFree parse(String text) {
    String t = text.trim();
    Matcher percent = PERCENT.matcher(t);
    if (percent.matches()) {
      int p = Integer.parseInt(percent.group(1));
      if (p < 1 || p > 99) {
        throw new IllegalArgumentException("'" + text + "' is out of range: use a percentage from 1% to 99%");
      }
      return new MinFree(0, p);
    }
    Matcher size = SIZE.matcher(t);
    if (!size.matches()) {
      String hint = t.matches("[0-9.]+") ? " has no unit: " : " is not a size: ";
      throw new IllegalArgumentException("'" + text + "'" + hint + FORMS);
    }
    return new MinFree(bytes(text, size.group(1), size.group(2)), 0);
  }

  private static long bytes(String text, String number, String unit) {
    BigDecimal n = new BigDecimal(number).multiply(BigDecimal.valueOf(UNITS.get(unit.toLowerCase(Locale.ROOT))));
    long b;
    try {
      b = n.toBigInteger().longValueExact();
    } catch (ArithmeticException e) {
      throw new IllegalArgumentException("'" + text + "' is too large: " + FORMS, e);
    }
    if (b == 0) {
      throw new IllegalArgumentException("'" + text + "' is less than one byte: give a size above 0, " + FORMS);
    }
    return b;
  }
}
