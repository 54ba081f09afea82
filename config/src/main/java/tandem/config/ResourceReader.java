package tandem.config;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** Reads a group's {@code resources:} list; each item is a map with exactly one kind key. */
final class ResourceReader {
  static final List<String> KINDS = List.of("service");
  static final List<String> SERVICE_KEYS = List.of("start", "stop", "check", "timeout");
  private static final String EXAMPLE = "- service: { start: systemctl start nginx, stop: systemctl stop nginx }";

  private ResourceReader() {}

  /** The resources that read without problems, in file order. */
  static List<ResourceConfig> readAll(Section group) {
    List<ResourceConfig> result = new ArrayList<>();
    List<YamlValue> items = group.list("resources");
    for (int i = 0; i < items.size(); i++) {
      ResourceConfig r = read(items.get(i), Problems.item(group.pathOf("resources"), i), group.problems());
      if (r != null) {
        result.add(r);
      }
    }
    return result;
  }

  private static ResourceConfig read(YamlValue value, String path, Problems problems) {
    if (value == null) {
      problems.add(path, "empty list item; describe a resource, e.g. " + EXAMPLE);
      return null;
    }
    Section item = Section.of(value, path, problems, KINDS);
    String kind = item.kind(KINDS, "resource", EXAMPLE);
    return kind == null ? null : service(item.section("service", SERVICE_KEYS));
  }

  private static ServiceConfig service(Section s) {
    int mark = s.problems().mark();
    String start = s.required("start", "the command that starts the service, e.g. start: systemctl start nginx");
    String stop = s.required("stop", "the command that stops the service, e.g. stop: systemctl stop nginx");
    Optional<String> check = Optional.ofNullable(s.text("check"));
    Duration timeout = s.duration("timeout", ServiceConfig.DEFAULT_TIMEOUT);
    if (!s.problems().noneSince(mark) || s.broken()) {
      return null;
    }
    return new ServiceConfig(start, stop, check, timeout);
  }
}
