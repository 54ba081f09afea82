package tandem.filesync;

import java.nio.charset.StandardCharsets;
import tandem.filesync.HostilePathException.Problem;

/**
 * The check every path from a peer passes before it touches the disk: a relative, '/'-separated
 * path that names something strictly inside the replicated root.
 *
 * <p>Paths are refused, never repaired: a peer that sends "a//b" or "./a" is buggy or hostile, and
 * guessing what it meant could write somewhere it did not mean. Names are not Unicode-normalized
 * either: on Linux two names that differ only in normalization are two files, and merging them
 * would lose one. So the "normalized" path returned is the input itself, proven canonical.
 *
 * <p>Control characters other than NUL (newline, tab, ESC...) are allowed, because Linux allows
 * them and a replica must hold what the primary holds; every message prints paths through
 * {@link #quote} so such a name cannot forge a log line.
 */
public final class RelPath {
  /** The top-level directory where replaced and deleted files are kept. */
  public static final String VERSIONS_DIR = ".tandem-versions";
  /** The prefix of the temporary names files are written under before the rename. */
  public static final String TEMP_PREFIX = ".tandem-tmp-";

  static final int MAX_SEGMENT_BYTES = 255;
  static final int MAX_PATH_BYTES = 4096;

  private RelPath() {}

  /**
   * Returns {@code raw} when it is a canonical relative path tandem may write, else throws with
   * the exact problem.
   */
  public static String check(String raw) throws HostilePathException {
    checkText(raw, raw);
    if (raw.startsWith("/")) {
      throw new HostilePathException(Problem.ABSOLUTE, raw, "");
    }
    if (raw.endsWith("/")) {
      throw new HostilePathException(Problem.TRAILING_SLASH, raw, "");
    }
    String[] segments = raw.split("/", -1);
    for (int i = 0; i < segments.length; i++) {
      checkSegment(raw, segments[i], i == 0);
    }
    return raw;
  }

  /**
   * Returns {@code target} when it can be stored as a symlink's target. A target may point anywhere,
   * even outside the root: tandem replicates links as links and never follows them.
   */
  public static String checkLinkTarget(String path, String target) throws HostilePathException {
    checkText(path, target);
    return target;
  }

  /** True for names the peer may never send: temp names anywhere, the versions dir at the top. */
  public static boolean isReserved(String segment, boolean top) {
    return segment.startsWith(TEMP_PREFIX) || (top && segment.equals(VERSIONS_DIR));
  }

  /** The path in double quotes with control characters and backslashes escaped, for messages. */
  public static String quote(String s) {
    if (s == null) {
      return "null";
    }
    StringBuilder b = new StringBuilder(s.length() + 2).append('"');
    s.codePoints().forEach(c -> {
      if (c < 0x20 || c == 0x7f || (c >= 0xd800 && c <= 0xdfff)) {
        b.append(String.format("\\x%02x", c));
      } else if (c == '"' || c == '\\') {
        b.append('\\').appendCodePoint(c);
      } else {
        b.appendCodePoint(c);
      }
    });
    return b.append('"').toString();
  }

  private static void checkText(String path, String text) throws HostilePathException {
    if (text == null || text.isEmpty()) {
      throw new HostilePathException(Problem.EMPTY, String.valueOf(path), text == null ? "null" : "");
    }
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c == 0) {
        throw new HostilePathException(Problem.NUL, path, "at index " + i);
      }
      if (Character.isHighSurrogate(c) && validPairAt(text, i)) {
        i++;
      } else if (Character.isSurrogate(c)) {
        throw new HostilePathException(Problem.BAD_UTF16, path, "at index " + i);
      }
    }
    int bytes = text.getBytes(StandardCharsets.UTF_8).length;
    if (bytes > MAX_PATH_BYTES) {
      throw new HostilePathException(Problem.PATH_TOO_LONG, path, bytes + " bytes");
    }
  }

  private static void checkSegment(String raw, String segment, boolean top) throws HostilePathException {
    if (segment.isEmpty()) {
      throw new HostilePathException(Problem.EMPTY_SEGMENT, raw, "");
    }
    if (segment.equals(".") || segment.equals("..")) {
      throw new HostilePathException(Problem.DOT_SEGMENT, raw, "segment " + quote(segment));
    }
    int bytes = segment.getBytes(StandardCharsets.UTF_8).length;
    if (bytes > MAX_SEGMENT_BYTES) {
      throw new HostilePathException(Problem.SEGMENT_TOO_LONG, raw, bytes + " bytes");
    }
    if (isReserved(segment, top)) {
      throw new HostilePathException(Problem.RESERVED, raw, "segment " + quote(segment));
    }
  }

  private static boolean validPairAt(String s, int i) {
    return Character.isHighSurrogate(s.charAt(i)) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1));
  }
}
