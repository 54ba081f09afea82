package tandem.config;

import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/** Reads the optional top-level {@code alerts:} list (where alerts go), {@code lag-alert:} and {@code api:}. */
final class AlertReader {
  static final List<String> KINDS = List.of("webhook", "email");
  static final List<String> KEYS = List.of("webhook", "email", "format", "chat-id", "timeout");
  static final List<String> EMAIL_KEYS = List.of("to", "from", "smtp", "user", "password-file", "tls");
  static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(10);
  private static final String EXAMPLE = "- webhook: https://hooks.slack.com/services/T000/B000/XXXX";

  private AlertReader() {}

  static ApiSettings api(Section top) {
    Boolean open = top.section("api", List.of("open-read")).flag("open-read", false);
    return open == null ? ApiSettings.DEFAULT : new ApiSettings(open);
  }

  static LagAlert lagAlert(Section top) {
    Section s = top.section("lag-alert", List.of("files", "database"));
    Duration files = s.duration("files", LagAlert.DEFAULT.files());
    Duration database = s.duration("database", LagAlert.DEFAULT.database());
    return files == null || database == null ? LagAlert.DEFAULT : new LagAlert(files, database);
  }

  /** The targets that read without problems, in file order. */
  static List<AlertTarget> readAll(Section top, Path configDir) {
    String path = top.pathOf("alerts");
    List<YamlValue> items = top.list("alerts");
    List<AlertTarget> out = new ArrayList<>();
    for (int i = 0; i < items.size(); i++) {
      String where = Problems.item(path, i);
      if (items.get(i) == null) {
        top.problems().add(where, "empty list item; say where alerts go, e.g. " + EXAMPLE);
        continue;
      }
      AlertTarget t = read(Section.of(items.get(i), where, top.problems(), KEYS), configDir);
      if (t != null) {
        out.add(t);
      }
    }
    return out;
  }

  private static AlertTarget read(Section s, Path dir) {
    int mark = s.problems().mark();
    String kind = s.kind(KINDS, "alert target", EXAMPLE);
    Duration timeout = s.duration("timeout", DEFAULT_TIMEOUT);
    AlertTarget t = null;
    if ("webhook".equals(kind)) {
      t = webhook(s, timeout);
    } else if ("email".equals(kind)) {
      for (String k : List.of("format", "chat-id")) {
        if (s.has(k)) {
          s.problem(k, "only a webhook has " + k + "; remove it from this email target");
        }
      }
      t = email(s.section("email", EMAIL_KEYS), timeout, dir);
    }
    return s.problems().noneSince(mark) ? t : null;
  }

  private static AlertTarget webhook(Section s, Duration timeout) {
    String text = s.text("webhook");
    URI url = text == null ? null : url(s, text);
    if (url == null) {
      return null;
    }
    AlertTarget.Format format = s.has("format")
        ? s.choice("format", AlertTarget.Format.GENERIC, AlertTarget.Format.class, "webhook format")
        : formatOf(url);
    Optional<String> chatId = Optional.ofNullable(s.text("chat-id"));
    if (format == AlertTarget.Format.TELEGRAM && chatId.isEmpty() && !s.has("chat-id")) {
      s.missing("chat-id", "Telegram's sendMessage needs the chat to post to, e.g. chat-id: \"-1001234567890\"");
    }
    if (format != null && format != AlertTarget.Format.TELEGRAM && chatId.isPresent()) {
      s.problem("chat-id", "only the telegram format uses chat-id; remove it or set format: telegram");
    }
    return format == null || timeout == null ? null : new AlertTarget.Webhook(url, format, chatId, timeout);
  }

  private static URI url(Section s, String text) {
    try {
      URI u = new URI(text);
      String scheme = u.getScheme() == null ? "" : u.getScheme().toLowerCase(Locale.ROOT);
      if ((scheme.equals("http") || scheme.equals("https")) && u.getHost() != null) {
        return u;
      }
    } catch (URISyntaxException e) {
      // reported below
    }
    s.problem("webhook", "'" + text + "' is not an http or https URL; write the whole address, e.g."
        + " https://hooks.example.com/T000");
    return null;
  }

  /** Slack, Discord and Telegram are recognised by their host, so `format:` is needed only for other addresses. */
  static AlertTarget.Format formatOf(URI url) {
    String host = url.getHost().toLowerCase(Locale.ROOT);
    if (host.equals("hooks.slack.com")) {
      return AlertTarget.Format.SLACK;
    }
    if ((host.equals("discord.com") || host.endsWith(".discord.com") || host.equals("discordapp.com"))
        && url.getPath().startsWith("/api/webhooks")) {
      return AlertTarget.Format.DISCORD;
    }
    return host.equals("api.telegram.org") ? AlertTarget.Format.TELEGRAM : AlertTarget.Format.GENERIC;
  }

  private static AlertTarget email(Section e, Duration timeout, Path dir) {
    int mark = e.problems().mark();
    List<String> to = recipients(e);
    String from = e.text("from");
    if (from != null && !address(from)) {
      e.problem("from", "'" + from + "' is not an email address; write e.g. from: tandem@example.com");
    }
    HostPort smtp = e.hostPort("smtp", "the SMTP server as host:port, e.g. smtp: smtp.example.com:587");
    Optional<String> user = Optional.ofNullable(e.text("user"));
    Optional<Path> passwordFile = Optional.ofNullable(e.path("password-file", dir));
    if (user.isPresent() != e.has("password-file") && !e.broken()) {
      e.problem(user.isPresent() ? "password-file" : "user", user.isPresent()
          ? "required with user: the file whose first line is the SMTP password, e.g. password-file: /etc/tandem/smtp.key"
          : "required with password-file: the SMTP login, e.g. user: tandem@example.com");
    }
    AlertTarget.Tls tls = e.choice("tls", AlertTarget.Tls.STARTTLS, AlertTarget.Tls.class, "SMTP protection");
    if (!e.problems().noneSince(mark) || e.broken() || to.isEmpty() || smtp == null || timeout == null) {
      return null;
    }
    return new AlertTarget.Email(to, from != null ? from : to.getFirst(), smtp, user, passwordFile, tls, timeout);
  }

  private static List<String> recipients(Section e) {
    List<String> out = new ArrayList<>();
    YamlValue v = e.get("to");
    List<YamlValue> items = v instanceof YamlValue.Sequence seq ? seq.items() : v == null ? List.of() : List.of(v);
    for (int i = 0; i < items.size(); i++) {
      String where = v instanceof YamlValue.Sequence ? Problems.item(e.pathOf("to"), i) : e.pathOf("to");
      if (items.get(i) instanceof YamlValue.Scalar sc && address(sc.text())) {
        out.add(sc.text());
      } else {
        e.problems().add(where, "expected an email address, e.g. ops@example.com, but found " + YamlValue.describe(items.get(i)));
      }
    }
    if (v == null) {
      e.missing("to", "who gets the alerts, e.g. to: ops@example.com (or a list)");
    }
    return out;
  }

  private static boolean address(String s) {
    int at = s.indexOf('@');
    return at > 0 && at == s.lastIndexOf('@') && at < s.length() - 1 && !s.contains(" ");
  }
}
