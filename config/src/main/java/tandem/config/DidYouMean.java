package tandem.config;

import java.util.List;
import java.util.Locale;
import java.util.Optional;

/** Finds the known key a misspelt one was meant to be: within 2 edits, or the same key written camelCase/snake_case. */
final class DidYouMean {
  private static final int MAX_EDITS = 2;

  private DidYouMean() {}

  /** The closest of {@code known} to {@code typed}, if any is close enough; ties go to the earlier one. */
  static Optional<String> closest(String typed, List<String> known) {
    String kebab = kebab(typed);
    String best = null;
    int bestDistance = MAX_EDITS + 1;
    for (String k : known) {
      int d = k.equals(kebab) ? 0 : distance(typed, k);
      if (d < bestDistance) {
        best = k;
        bestDistance = d;
      }
    }
    return Optional.ofNullable(best);
  }

  /** "renewInterval" and "renew_interval" become "renew-interval". */
  static String kebab(String key) {
    return key.replaceAll("([a-z0-9])([A-Z])", "$1-$2").replace('_', '-').toLowerCase(Locale.ROOT);
  }

  /** Edit distance counting insertions, deletions, substitutions and swaps of two neighbours (optimal alignment). */
  static int distance(String a, String b) {
    int[][] d = new int[a.length() + 1][b.length() + 1];
    for (int i = 0; i <= a.length(); i++) {
      d[i][0] = i;
    }
    for (int j = 0; j <= b.length(); j++) {
      d[0][j] = j;
    }
    for (int i = 1; i <= a.length(); i++) {
      for (int j = 1; j <= b.length(); j++) {
        int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
        d[i][j] = Math.min(Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1), d[i - 1][j - 1] + cost);
        if (i > 1 && j > 1 && a.charAt(i - 1) == b.charAt(j - 2) && a.charAt(i - 2) == b.charAt(j - 1)) {
          d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
        }
      }
    }
    return d[a.length()][b.length()];
  }
}
