package tandem.config;

import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import tandem.core.Durations;

/**
 * One YAML map being read at a key path. It reports a wrong type or an unknown key once, then reads typed values:
 * each read returns the default when the key is absent, and null after recording a problem when the value is wrong.
 * A section that was not a map ("broken") reads as empty and reports nothing more, so one mistake gives one problem.
 */
final class Section {
  private final String path;
  private final Map<String, YamlValue> entries;
  private final Problems problems;
  private final boolean broken;
  private final List<String> unknownKeys = new ArrayList<>();

  private Section(String path, Map<String, YamlValue> entries, Problems problems, boolean broken) {
    this.path = path;
    this.entries = entries;
    this.problems = problems;
    this.broken = broken;
  }

  /** Opens {@code value} as a map whose keys must be among {@code known}; null reads as an empty map. */
  static Section of(YamlValue value, String path, Problems problems, List<String> known) {
    Section s = open(value, path, problems, "a map with the keys " + String.join(", ", known));
    s.rejectUnknownKeys(known);
    return s;
  }

  /** Opens {@code value} as a map whose keys the user chooses (group names, node names). */
  static Section open(YamlValue value, String path, Problems problems, String expected) {
    if (value == null || value instanceof YamlValue.Mapping) {
      Map<String, YamlValue> entries = value == null ? Map.of() : ((YamlValue.Mapping) value).entries();
      return new Section(path, entries, problems, false);
    }
    problems.add(path, "expected " + expected + ", but found " + YamlValue.describe(value));
    return new Section(path, Map.of(), problems, true);
  }

  Section section(String key, List<String> known) {
    return of(get(key), pathOf(key), problems, known);
  }

  Section open(String key, String expected) {
    return open(get(key), pathOf(key), problems, expected);
  }

  String path() {
    return path;
  }

  String pathOf(String key) {
    return Problems.child(path, key);
  }

  Problems problems() {
    return problems;
  }

  /** True when this section was given but is not a map; that has been reported already. */
  boolean broken() {
    return broken;
  }

  /** The keys in file order. */
  Set<String> keys() {
    return entries.keySet();
  }

  /** True when the key is present with a value (an empty value counts as absent). */
  boolean has(String key) {
    return entries.get(key) != null;
  }

  YamlValue get(String key) {
    return entries.get(key);
  }

  void problem(String key, String message) {
    problems.add(pathOf(key), message);
  }

  /** Reports a missing required key, saying what belongs there; a broken section stays quiet. */
  void missing(String key, String what) {
    if (!broken) {
      problem(key, "required: " + what);
    }
  }

  /** The items of a list; empty when absent. */
  List<YamlValue> list(String key) {
    YamlValue v = get(key);
    if (v == null || v instanceof YamlValue.Sequence) {
      return v == null ? List.of() : ((YamlValue.Sequence) v).items();
    }
    problem(key, "expected a list (one item per line, starting with '- '), but found " + YamlValue.describe(v));
    return List.of();
  }

  /** A scalar's text; null when absent or not a scalar. */
  String text(String key) {
    YamlValue v = get(key);
    if (v instanceof YamlValue.Scalar s && s.text().isBlank()) {
      problem(key, "is blank; give a value or remove the key");
      return null;
    }
    if (v == null || v instanceof YamlValue.Scalar) {
      return v == null ? null : ((YamlValue.Scalar) v).text();
    }
    problem(key, "expected a single value, but found " + YamlValue.describe(v));
    return null;
  }

  /** A scalar's text, reporting it as required when absent. */
  String required(String key, String what) {
    if (!has(key)) {
      missing(key, what);
      return null;
    }
    return text(key);
  }

  /** A duration above zero. */
  Duration duration(String key, Duration absent) {
    Duration d = durationOrZero(key, absent);
    if (d != null && d.isZero()) {
      problem(key, "must be more than 0, e.g. " + Durations.format(absent));
      return null;
    }
    return d;
  }

  /** A duration that may be zero. */
  Duration durationOrZero(String key, Duration absent) {
    String t = text(key);
    if (t == null) {
      return has(key) ? null : absent;
    }
    try {
      return Durations.parse(t);
    } catch (IllegalArgumentException e) {
      problem(key, e.getMessage());
      return null;
    }
  }

  /** A whole number from min to max; {@code absent} may be null for "no default". */
  Integer number(String key, Integer absent, int min, int max) {
    String t = text(key);
    if (t == null) {
      return has(key) ? null : absent;
    }
    try {
      int n = Integer.parseInt(t.startsWith("+") ? t.substring(1) : t);
      if (n >= min && n <= max) {
        return n;
      }
      problem(key, max == Integer.MAX_VALUE ? "must be at least " + min + ", not " + n
          : "must be from " + min + " to " + max + ", not " + n);
    } catch (NumberFormatException e) {
      problem(key, "'" + t + "' is not a whole number; write " + (absent == null
          ? "one from " + min + " to " + max : "e.g. " + absent));
    }
    return null;
  }

  /** true or false. */
  Boolean flag(String key, boolean absent) {
    String t = text(key);
    if (t == null) {
      return has(key) ? null : absent;
    }
    return switch (t.toLowerCase(Locale.ROOT)) {
      case "true" -> true;
      case "false" -> false;
      default -> {
        problem(key, "'" + t + "' is not true or false; write true or false");
        yield null;
      }
    };
  }

  /** One of an enum's constants, written in lower case in the file. */
  <E extends Enum<E>> E choice(String key, E absent, Class<E> type, String what) {
    String t = text(key);
    if (t == null) {
      return has(key) ? null : absent;
    }
    List<String> words = new ArrayList<>();
    for (E e : type.getEnumConstants()) {
      String word = e.name().toLowerCase(Locale.ROOT);
      if (word.equals(t)) {
        return e;
      }
      words.add(word);
    }
    problem(key, "'" + t + "' is not a " + what + ": use " + orList(words));
    return null;
  }

  /** A host:port; {@code required} says what belongs there, or is null when the key is optional. */
  HostPort hostPort(String key, String required) {
    String t = required == null ? text(key) : required(key, required);
    if (t == null) {
      return null;
    }
    try {
      return HostPort.parse(t);
    } catch (IllegalArgumentException e) {
      problem(key, e.getMessage());
      return null;
    }
  }

  /** A file system path, resolved against {@code base} when relative and normalized; null when absent. */
  Path path(String key, Path base) {
    String t = text(key);
    if (t == null) {
      return null;
    }
    if (t.startsWith("~")) {
      problem(key, "'" + t + "': tandem does not expand '~'; write the full path, e.g. /home/tandem/data");
      return null;
    }
    try {
      return base.resolve(Path.of(t)).normalize();
    } catch (InvalidPathException e) {
      problem(key, "'" + t + "' is not a valid path: " + e.getReason());
      return null;
    }
  }

  /**
   * The one key of {@code kinds} this list item has ("service", "tcp"...); null after reporting none or several.
   * An item with a misspelt key (say "tpc") has been reported as such already, so it gets no second problem.
   */
  String kind(List<String> kinds, String what, String example) {
    List<String> given = entries.keySet().stream().filter(kinds::contains).toList();
    if (given.size() == 1) {
      return given.getFirst();
    }
    if (given.size() > 1) {
      problems.add(path, "has both " + given.get(0) + " and " + given.get(1) + ": each " + what
          + " has exactly one kind; split them into separate list items");
    } else if (!broken && unknownKeys.isEmpty()) {
      problems.add(path, "say which kind of " + what + " this is with one of the keys " + orList(kinds)
          + ", e.g. " + example);
    }
    return null;
  }

  private void rejectUnknownKeys(List<String> known) {
    for (String key : entries.keySet()) {
      if (!known.contains(key)) {
        unknownKeys.add(key);
        String hint = DidYouMean.closest(key, known).map(k -> "; did you mean '" + k + "'?")
            .orElse("; the keys allowed here are " + String.join(", ", known));
        problem(key, "unknown key '" + key + "'" + hint);
      }
    }
  }

  /** "a", "a or b", "a, b or c". */
  static String orList(List<String> words) {
    if (words.size() == 1) {
      return words.getFirst();
    }
    return String.join(", ", words.subList(0, words.size() - 1)) + " or " + words.getLast();
  }
}
