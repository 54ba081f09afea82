package tandem.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** Reads a group's {@code resources:} list; each item is a map with exactly one kind key. */
final class ResourceReader {
  static final List<String> KINDS = List.of("service", "files", "postgres", "mariadb", "mysql", "vip", "proxy");
  static final List<String> FILES_KEYS = List.of("path", "exclude", "owner", "versions", "rescan");
  static final List<String> SERVICE_KEYS = List.of("start", "stop", "check", "timeout");
  static final List<String> VIP_KEYS = List.of("address", "interface");
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
    if (kind == null) {
      return null;
    }
    return switch (kind) {
      case "files" -> files(item.section("files", FILES_KEYS));
      case "postgres" -> PostgresReader.read(item.section("postgres", PostgresReader.KEYS));
      case "mariadb" -> MariadbReader.read(item.section("mariadb", MariadbReader.KEYS));
      case "mysql" -> MariadbReader.read(item.section("mysql", MariadbReader.KEYS), MariadbConfig.Flavor.MYSQL);
      case "vip" -> vip(item.section("vip", VIP_KEYS));
      case "proxy" -> ProxyReader.read(item.section("proxy", ProxyReader.KEYS));
      default -> service(item.section("service", SERVICE_KEYS));
    };
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

  private static VipConfig vip(Section s) {
    int mark = s.problems().mark();
    String text = s.required("address", "the floating address with its subnet's prefix length, e.g. address: 192.0.2.100/24");
    Cidr address = null;
    if (text != null) {
      try {
        address = Cidr.parse(text);
      } catch (IllegalArgumentException e) {
        s.problem("address", e.getMessage());
      }
    }
    String iface = s.required("interface", "the network interface that carries the address, e.g. interface: eth0");
    if (iface != null && (!VipConfig.IFACE.matcher(iface).matches() || iface.equals(".") || iface.equals(".."))) {
      s.problem("interface", "'" + iface + "' is not a network interface name (at most 15 letters, digits, '.', '-',"
          + " '_', '@'); write the name `ip link` shows, e.g. interface: eth0");
    }
    if (!s.problems().noneSince(mark) || s.broken()) {
      return null;
    }
    return new VipConfig(address, iface);
  }

  private static FilesConfig files(Section s) {
    int mark = s.problems().mark();
    String text = s.required("path", "the directory to replicate, e.g. path: /var/www/uploads");
    Path path = text == null ? null : s.path("path", Path.of("/"));
    if (text != null && path != null && !text.startsWith("/")) {
      s.problem("path", "'" + text + "' is relative; write the absolute path of the directory, e.g. /var/www/uploads");
    } else if (path != null && path.getNameCount() == 0) {
      s.problem("path", "'/' cannot be replicated; name the directory that holds the data, e.g. /var/www/uploads");
    }
    List<String> exclude = new ArrayList<>();
    List<YamlValue> items = s.list("exclude");
    for (int i = 0; i < items.size(); i++) {
      if (items.get(i) instanceof YamlValue.Scalar sc) {
        exclude.add(sc.text());
      } else {
        s.problems().add(Problems.item(s.pathOf("exclude"), i), "expected a pattern such as \"*.tmp\" or \"cache/\", but found "
            + YamlValue.describe(items.get(i)));
      }
    }
    Optional<String> owner = Optional.ofNullable(s.text("owner"));
    owner.filter(o -> !o.matches("[A-Za-z0-9_.][A-Za-z0-9_.-]*(:[A-Za-z0-9_.][A-Za-z0-9_.-]*)?"))
        .ifPresent(o -> s.problem("owner", "'" + o + "' is not user:group; write e.g. owner: www-data:www-data"));
    Optional<Duration> keep = Optional.empty();
    if (s.has("versions")) {
      Section v = s.section("versions", List.of("keep"));
      keep = Optional.ofNullable(v.duration("keep", null));
      if (keep.isEmpty() && !v.broken()) {
        v.missing("keep", "how long replaced and deleted files are kept, e.g. versions: { keep: 14d }");
      }
    }
    Duration rescan = s.duration("rescan", FilesConfig.DEFAULT_RESCAN);
    if (!s.problems().noneSince(mark) || s.broken()) {
      return null;
    }
    return new FilesConfig(path, exclude, owner, keep, rescan);
  }
}
