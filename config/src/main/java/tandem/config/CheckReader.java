package tandem.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.stream.Stream;

/** Reads a group's {@code checks:} list; each item has exactly one kind key plus the common keys. */
final class CheckReader {
  static final List<String> COMMON_KEYS = List.of(
      "name", "on", "interval", "timeout", "fall", "rise", "weight", "critical", "fix", "fix-attempts");
  static final List<String> KEYS = Stream.concat(CheckTargetReader.KINDS.stream(), COMMON_KEYS.stream()).toList();
  static final Duration DEFAULT_INTERVAL = Duration.ofSeconds(1);
  static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(1);
  static final int DEFAULT_FALL = 3;
  static final int DEFAULT_RISE = 2;
  static final int DEFAULT_FIX_ATTEMPTS = 3;
  private static final String EXAMPLE = "- tcp: 127.0.0.1:5432";

  private CheckReader() {}

  /** The checks that read without problems, in file order. */
  static List<CheckConfig> readAll(Section group, Path configDir) {
    String path = group.pathOf("checks");
    List<YamlValue> items = group.list("checks");
    List<CheckConfig> read = new ArrayList<>();
    for (int i = 0; i < items.size(); i++) {
      read.add(read(items.get(i), Problems.item(path, i), group.problems(), configDir));
    }
    // Names are compared with the items' own indexes, so paths stay right when an earlier item failed.
    ConfigValidator.checkNames(read, path, group.problems());
    return read.stream().filter(Objects::nonNull).toList();
  }

  private static CheckConfig read(YamlValue value, String path, Problems problems, Path configDir) {
    if (value == null) {
      problems.add(path, "empty list item; describe a check, e.g. " + EXAMPLE);
      return null;
    }
    int mark = problems.mark();
    Section s = Section.of(value, path, problems, KEYS);
    String kind = s.kind(CheckTargetReader.KINDS, "check", EXAMPLE);
    CheckTarget target = kind == null ? null : CheckTargetReader.read(kind, s, configDir);
    CheckConfig check = common(s, target);
    if (!problems.noneSince(mark) || check == null) {
      return null;
    }
    ConfigValidator.check(check, path, problems);
    return check;
  }

  /** Reads the keys every check has; null when one is wrong or there is no target. */
  private static CheckConfig common(Section s, CheckTarget target) {
    int mark = s.problems().mark();
    String name = s.text("name");
    CheckScope on = s.choice("on", CheckScope.SERVICE, CheckScope.class, "check scope");
    Duration interval = s.duration("interval", DEFAULT_INTERVAL);
    Duration timeout = s.duration("timeout", DEFAULT_TIMEOUT);
    Integer fall = s.number("fall", DEFAULT_FALL, 1, Integer.MAX_VALUE);
    Integer rise = s.number("rise", DEFAULT_RISE, 1, Integer.MAX_VALUE);
    Integer weight = s.number("weight", 0, -CheckConfig.MAX_WEIGHT, CheckConfig.MAX_WEIGHT);
    Boolean critical = s.flag("critical", false);
    Optional<String> fix = Optional.ofNullable(s.text("fix"));
    Integer attempts = s.number("fix-attempts", fix.isPresent() ? DEFAULT_FIX_ATTEMPTS : 0, 1,
        CheckConfig.MAX_FIX_ATTEMPTS);
    if (!s.problems().noneSince(mark) || target == null) {
      return null;
    }
    return new CheckConfig(name != null ? name : CheckTargetReader.describe(target), target, on, interval, timeout,
        fall, rise, weight, critical, fix, attempts);
  }
}
