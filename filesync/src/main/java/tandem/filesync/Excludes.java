package tandem.filesync;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * The paths a replicated directory leaves out: gitignore-style patterns from the config, plus
 * tandem's own files, which are always left out.
 *
 * <p>Patterns, as in gitignore: {@code *} and {@code ?} match within one path segment, {@code **}
 * as a whole segment matches any number of segments, {@code [a-z]} and {@code [!a-z]} are
 * character classes, {@code \} quotes the next character. A trailing {@code /} matches directories
 * only; a leading {@code /} anchors the pattern at the root, and so does a {@code /} in the middle;
 * a pattern without {@code /} matches a name at any depth. {@code !} re-includes what an earlier
 * pattern excluded; the last matching pattern wins. As in git, a path under an excluded directory
 * is excluded whatever later patterns say, since the directory is never descended.
 *
 * <p>Always excluded, not overridable by {@code !}: {@value #VERSIONS} at the root (versions of
 * replaced files), names starting with {@value #TMP_PREFIX} (files being written), and conflict
 * copies ({@code name.sync-conflict-YYYYMMDD-HHMMSS-node...}).
 *
 * <p>Immutable and thread-safe.
 */
public final class Excludes {
  /** The directory at the root that keeps replaced and deleted files' old versions. */
  public static final String VERSIONS = ".tandem-versions";
  /** The prefix of temporary names used while a file is assembled. */
  public static final String TMP_PREFIX = ".tandem-tmp-";
  private static final Pattern CONFLICT = Pattern.compile(".*\\.sync-conflict-\\d{8}-\\d{6}-.*");
  private static final Excludes NONE = new Excludes(List.of());

  private final List<Rule> rules;

  private Excludes(List<Rule> rules) {
    this.rules = List.copyOf(rules);
  }

  /**
   * Compiles {@code patterns} in order.
   *
   * @throws IllegalArgumentException naming the first pattern that is empty or malformed
   */
  public static Excludes of(List<String> patterns) {
    List<Rule> rules = new ArrayList<>();
    for (String pattern : patterns) {
      rules.add(Rule.parse(pattern));
    }
    return new Excludes(rules);
  }

  /** Only the built-in exclusions. */
  public static Excludes none() {
    return NONE;
  }

  /**
   * True when {@code relPath} (relative to the root, '/'-separated) is left out, by itself or
   * because a directory above it is.
   */
  public boolean excluded(String relPath, boolean isDir) {
    for (int slash = relPath.indexOf('/'); slash >= 0; slash = relPath.indexOf('/', slash + 1)) {
      if (excludedHere(relPath.substring(0, slash), true)) {
        return true;
      }
    }
    return excludedHere(relPath, isDir);
  }

  /**
   * True when {@code relPath} itself is left out, not looking at the directories above it: for a
   * walk that never enters an excluded directory, which has checked them already.
   */
  boolean excludedHere(String relPath, boolean isDir) {
    String name = relPath.substring(relPath.lastIndexOf('/') + 1);
    if (relPath.equals(VERSIONS) || name.startsWith(TMP_PREFIX) || CONFLICT.matcher(name).matches()) {
      return true;
    }
    boolean excluded = false;
    for (int i = rules.size() - 1; i >= 0; i--) { // the last match wins: look from the end
      Rule rule = rules.get(i);
      if ((isDir || !rule.dirOnly) && rule.regex.matcher(relPath).matches()) {
        excluded = !rule.negated;
        break;
      }
    }
    return excluded;
  }

  @Override
  public String toString() {
    return "Excludes" + rules.stream().map(r -> r.source).toList();
  }

  /** One compiled pattern. */
  private record Rule(String source, Pattern regex, boolean negated, boolean dirOnly) {
    static Rule parse(String source) {
      String body = source;
      boolean negated = body.startsWith("!");
      if (negated) {
        body = body.substring(1);
      }
      boolean dirOnly = body.endsWith("/") && !body.endsWith("\\/");
      if (dirOnly) {
        body = body.substring(0, body.length() - 1);
      }
      // gitignore: a slash at the start or in the middle anchors the pattern at the root.
      boolean anchored = body.contains("/");
      if (body.startsWith("/")) {
        body = body.substring(1);
      }
      if (body.isBlank() || body.contains("//")) {
        throw new IllegalArgumentException("exclude pattern \"" + source + "\" matches no path; write a name"
            + " (\"*.tmp\"), a directory (\"cache/\") or a path from the root (\"/build\")");
      }
      String regex = (anchored ? "" : "(?:.*/)?") + translate(source, body);
      return new Rule(source, Pattern.compile(regex, Pattern.DOTALL), negated, dirOnly);
    }

    private static String translate(String source, String body) {
      String[] segments = body.split("/", -1);
      StringBuilder re = new StringBuilder();
      for (int i = 0; i < segments.length; i++) {
        boolean last = i == segments.length - 1;
        if (segments[i].equals("**")) {
          re.append(last ? ".*" : "(?:[^/]*/)*"); // any depth, including none
          continue;
        }
        translateSegment(source, segments[i], re);
        if (!last) {
          re.append('/');
        }
      }
      return re.toString();
    }

    private static void translateSegment(String source, String segment, StringBuilder re) {
      for (int i = 0; i < segment.length(); i++) {
        char c = segment.charAt(i);
        switch (c) {
          case '*' -> {
            re.append("[^/]*");
            while (i + 1 < segment.length() && segment.charAt(i + 1) == '*') {
              i++; // "a**b" is "a*b", as in git
            }
          }
          case '?' -> re.append("[^/]");
          case '[' -> i = translateClass(source, segment, i, re);
          case '\\' -> {
            if (i + 1 == segment.length()) {
              throw new IllegalArgumentException("exclude pattern \"" + source + "\" ends with a lone '\\';"
                  + " write \"\\\\\" for a backslash");
            }
            re.append(Pattern.quote(String.valueOf(segment.charAt(++i))));
          }
          default -> re.append(Pattern.quote(String.valueOf(c)));
        }
      }
    }

    /** Appends the class that opens at {@code open}; returns the index of its closing ']'. */
    private static int translateClass(String source, String segment, int open, StringBuilder re) {
      int i = open + 1;
      StringBuilder cls = new StringBuilder("[");
      if (i < segment.length() && (segment.charAt(i) == '!' || segment.charAt(i) == '^')) {
        cls.append('^');
        i++;
      }
      int first = i;
      for (; i < segment.length(); i++) {
        char c = segment.charAt(i);
        if (c == ']' && i > first) {
          re.append("(?!/)").append(cls).append(']'); // a class never matches the separator
          return i;
        }
        cls.append(c == '-' ? "-" : (Character.isLetterOrDigit(c) ? String.valueOf(c) : "\\" + c));
      }
      throw new IllegalArgumentException("exclude pattern \"" + source + "\" has a '[' without its ']';"
          + " write \"\\[\" for a literal bracket");
    }
  }
}
