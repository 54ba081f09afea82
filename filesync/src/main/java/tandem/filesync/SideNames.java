package tandem.filesync;

import java.nio.charset.StandardCharsets;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.HexFormat;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The names tandem gives to things it sets aside: conflict copies, versions and temporary files.
 * Pure functions; the caller picks the time (from its clock) and checks the name is free.
 */
final class SideNames {
  static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss");
  private static final Pattern VERSION = Pattern.compile(".*~(\\d{8}-\\d{6})(?:-\\d+)?");

  private SideNames() {}

  /**
   * {@code name.sync-conflict-YYYYMMDD-HHMMSS-<node>.ext}, the extension kept last (as Syncthing
   * does) so the copy still opens with the same program. A leading dot does not start an
   * extension (".bashrc" has none), and directories keep their whole name in front.
   *
   * @param attempt 0 for the first try; n > 0 adds "-n" after the node when the name is taken
   */
  static String conflict(String name, LocalDateTime when, String node, boolean dir, int attempt) {
    int dot = dir ? -1 : name.lastIndexOf('.');
    String base = dot > 0 ? name.substring(0, dot) : name;
    String ext = dot > 0 ? name.substring(dot) : "";
    String tag = ".sync-conflict-" + STAMP.format(when) + "-" + node + (attempt > 0 ? "-" + attempt : "");
    return fit(base, tag + ext);
  }

  /** {@code name~YYYYMMDD-HHMMSS}, with "-n" added when that version name is taken. */
  static String version(String name, LocalDateTime when, int attempt) {
    return fit(name, "~" + STAMP.format(when) + (attempt > 0 ? "-" + attempt : ""));
  }

  /** When the version named {@code name} was made, or empty when the name is not a version's. */
  static Optional<LocalDateTime> versionTime(String name) {
    Matcher m = VERSION.matcher(name);
    if (!m.matches()) {
      return Optional.empty();
    }
    try {
      return Optional.of(LocalDateTime.parse(m.group(1), STAMP));
    } catch (DateTimeParseException e) {
      return Optional.empty(); // a user's file that only looks like a version (month 13): not ours
    }
  }

  /** {@code .tandem-tmp-<name>-<random>}: unique, and recognizable by {@code cleanTemps}. */
  static String temp(String name) {
    String random = HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextInt());
    return fit(RelPath.TEMP_PREFIX + name, "-" + random);
  }

  /**
   * {@code front + back}, cutting the end of {@code front} (at a code point boundary) so the whole
   * stays within the 255-byte limit of a Linux name.
   */
  static String fit(String front, String back) {
    int room = RelPath.MAX_SEGMENT_BYTES - utf8(back);
    if (utf8(front) <= room) {
      return front + back;
    }
    int end = 0;
    int used = 0;
    while (end < front.length()) {
      int cp = front.codePointAt(end);
      int len = utf8(new String(Character.toChars(cp)));
      if (used + len > room) {
        break;
      }
      used += len;
      end += Character.charCount(cp);
    }
    return front.substring(0, end) + back;
  }

  private static int utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8).length;
  }
}
