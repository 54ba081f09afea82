package tandem.config;

import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/** Reads the kind key of a check item ({@code tcp:}, {@code http:}, ...) into a {@link CheckTarget}. */
final class CheckTargetReader {
  static final List<String> KINDS = List.of("tcp", "http", "command", "process", "disk", "sql");
  static final List<String> SQL_KEYS = List.of("query", "database", "expect");
  static final List<String> HTTP_KEYS = List.of("url", "expect-status", "expect-body", "insecure");
  static final List<String> PROCESS_KEYS = List.of("pidfile", "name");
  static final List<String> DISK_KEYS = List.of("path", "min-free");
  private static final String URL_EXAMPLE = "http://127.0.0.1:8080/health";

  private CheckTargetReader() {}

  /** The target under {@code kind} in the check item {@code check}; null after reporting a problem. */
  static CheckTarget read(String kind, Section check, Path configDir) {
    return switch (kind) {
      case "tcp" -> tcp(check);
      case "http" -> http(check);
      case "command" -> command(check);
      case "process" -> process(check, configDir);
      case "sql" -> sql(check);
      default -> disk(check, configDir);
    };
  }

  /** The default check name: "kind:target", e.g. "tcp:127.0.0.1:5432". */
  static String describe(CheckTarget target) {
    return target.kind() + ":" + switch (target) {
      case CheckTarget.Tcp t -> t.address().toString();
      case CheckTarget.Http h -> h.url().toString();
      case CheckTarget.Command c -> c.command();
      case CheckTarget.Process p -> p.pidfile().map(Path::toString).orElseGet(() -> p.name().orElseThrow());
      case CheckTarget.Disk d -> d.path().toString();
      case CheckTarget.Sql q -> q.database().map(db -> db + ":").orElse("") + q.query();
    };
  }

  private static CheckTarget sql(Section check) {
    if (!(check.get("sql") instanceof YamlValue.Mapping)) {
      String query = check.required("sql", "the query to run on the group's database, e.g. sql: SELECT 1");
      return query == null ? null : new CheckTarget.Sql(query, Optional.empty(), Optional.empty());
    }
    Section s = check.section("sql", SQL_KEYS);
    int mark = s.problems().mark();
    String query = s.required("query", "the query to run on the group's database, e.g. query: SELECT 1");
    Optional<String> database = Optional.ofNullable(s.text("database"));
    Optional<String> expect = Optional.ofNullable(s.text("expect"));
    return s.problems().noneSince(mark) && !s.broken() ? new CheckTarget.Sql(query, database, expect) : null;
  }

  private static CheckTarget tcp(Section check) {
    HostPort address = check.hostPort("tcp", "the address to connect to, e.g. tcp: 127.0.0.1:5432");
    return address == null ? null : new CheckTarget.Tcp(address);
  }

  private static CheckTarget command(Section check) {
    String command = check.required("command", "the command to run, e.g. command: pg_isready -q");
    return command == null ? null : new CheckTarget.Command(command);
  }

  private static CheckTarget http(Section check) {
    if (!(check.get("http") instanceof YamlValue.Mapping)) {
      URI url = url(check, "http", "the URL to get, e.g. http: " + URL_EXAMPLE);
      return url == null ? null : new CheckTarget.Http(url, 0, Optional.empty(), false);
    }
    Section s = check.section("http", HTTP_KEYS);
    int mark = s.problems().mark();
    URI url = url(s, "url", "the URL to get, e.g. url: " + URL_EXAMPLE);
    Integer status = s.number("expect-status", 0, 0, 599);
    if (status != null && status > 0 && status < 100) {
      s.problem("expect-status", "must be an HTTP status from 100 to 599, not " + status
          + "; leave it out to accept any 2xx or 3xx");
    }
    Optional<String> body = Optional.ofNullable(s.text("expect-body"));
    Boolean insecure = s.flag("insecure", false);
    return s.problems().noneSince(mark) ? new CheckTarget.Http(url, status, body, insecure) : null;
  }

  private static URI url(Section s, String key, String what) {
    String text = s.required(key, what);
    if (text == null) {
      return null;
    }
    try {
      URI url = new URI(text);
      if (("http".equals(url.getScheme()) || "https".equals(url.getScheme())) && url.getHost() != null) {
        return url;
      }
    } catch (URISyntaxException e) {
      s.problem(key, "'" + text + "' is not a URL (" + e.getReason() + "); write e.g. " + URL_EXAMPLE);
      return null;
    }
    s.problem(key, "'" + text + "' is not an http or https URL with a host; write e.g. " + URL_EXAMPLE);
    return null;
  }

  private static CheckTarget process(Section check, Path configDir) {
    if (!(check.get("process") instanceof YamlValue.Mapping)) {
      String name = check.required("process", "the process name, e.g. process: nginx");
      return name == null ? null : new CheckTarget.Process(Optional.empty(), Optional.of(name));
    }
    Section s = check.section("process", PROCESS_KEYS);
    int mark = s.problems().mark();
    Optional<Path> pidfile = Optional.ofNullable(s.path("pidfile", configDir));
    Optional<String> name = Optional.ofNullable(s.text("name"));
    if (!s.problems().noneSince(mark)) {
      return null;
    }
    if (pidfile.isPresent() == name.isPresent()) {
      check.problem("process", (pidfile.isPresent() ? "has both pidfile and name" : "names no process")
          + ": give exactly one, e.g. process: { pidfile: /run/nginx.pid } or process: { name: nginx }");
      return null;
    }
    return new CheckTarget.Process(pidfile, name);
  }

  private static CheckTarget disk(Section check, Path configDir) {
    Section s = check.section("disk", DISK_KEYS);
    int mark = s.problems().mark();
    if (!s.has("path")) {
      s.missing("path", "a path on the file system to watch, e.g. path: /var/lib");
    }
    Path path = s.path("path", configDir);
    String text = s.required("min-free", "the least free space, e.g. min-free: 1GiB or min-free: 10%");
    MinFree min = null;
    try {
      min = text == null ? null : MinFree.parse(text);
    } catch (IllegalArgumentException e) {
      s.problem("min-free", e.getMessage());
    }
    if (!s.problems().noneSince(mark) || s.broken()) {
      return null;
    }
    return new CheckTarget.Disk(path, min.bytes(), min.percent());
  }
}
