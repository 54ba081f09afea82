package tandem.alert;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Locale;
import tandem.config.AlertTarget;
import tandem.core.Event;

/**
 * The words and JSON an alert is sent as. Slack, Discord and Telegram get the shapes their documentation gives
 * (Slack incoming webhooks: {@code text}; Discord execute-webhook: {@code content}, at most 2,000 characters;
 * Telegram sendMessage: {@code chat_id} and {@code text}, at most 4,096 characters); other receivers get tandem's own
 * object with every field of the event.
 */
final class Payloads {
  private static final ObjectMapper JSON = new ObjectMapper();
  static final int DISCORD_MAX = 2000;
  static final int TELEGRAM_MAX = 4096;

  private Payloads() {}

  /** One line saying what happened, e.g. "[tandem shop] FIRING warning primary-changed (group web, node n1): ...". */
  static String text(String cluster, Alert a) {
    Event e = a.event();
    String where = e.group().isEmpty() ? "node " + e.node() : "group " + e.group() + ", node " + e.node();
    return "[tandem " + cluster + "] " + a.state() + " " + e.level().name().toLowerCase(Locale.ROOT) + " " + e.kind()
        + " (" + where + "): " + e.message();
  }

  /** A short subject line for email. */
  static String subject(String cluster, Alert a) {
    Event e = a.event();
    String s = "[tandem " + cluster + "] " + a.state() + ": " + e.kind() + (e.group().isEmpty() ? "" : " " + e.group())
        + " on " + e.node() + (a.subject().isEmpty() ? "" : " (" + a.subject() + ")");
    return s.length() > 200 ? s.substring(0, 199) + "…" : s;
  }

  /** The body of an email: the sentence, then the fields a filter or script can use. */
  static String emailBody(String cluster, Alert a) {
    Event e = a.event();
    return text(cluster, a) + "\n\n"
        + "cluster: " + cluster + "\n"
        + "state:   " + a.state().name().toLowerCase(Locale.ROOT) + "\n"
        + "level:   " + e.level().name().toLowerCase(Locale.ROOT) + "\n"
        + "kind:    " + e.kind() + "\n"
        + "node:    " + e.node() + "\n"
        + "group:   " + e.group() + "\n"
        + "time:    " + e.time() + "\n"
        + "\n-- \ntandem: `tandem events` on " + e.node() + " shows the history\n";
  }

  /** The JSON body for a webhook of the given format. */
  static String json(AlertTarget.Webhook w, String cluster, Alert a) {
    ObjectNode o = JSON.createObjectNode();
    String text = text(cluster, a);
    switch (w.format()) {
      case SLACK -> o.put("text", text);
      case DISCORD -> o.put("content", cut(text, DISCORD_MAX));
      case TELEGRAM -> o.put("chat_id", w.chatId().orElseThrow()).put("text", cut(text, TELEGRAM_MAX));
      case GENERIC -> {
        Event e = a.event();
        o.put("cluster", cluster).put("state", a.state().name().toLowerCase(Locale.ROOT))
            .put("level", e.level().name().toLowerCase(Locale.ROOT)).put("kind", e.kind()).put("node", e.node())
            .put("group", e.group()).put("subject", a.subject()).put("message", e.message())
            .put("time", e.time().toString()).put("text", text);
      }
    }
    return o.toString();
  }

  private static String cut(String s, int max) {
    return s.length() <= max ? s : s.substring(0, max - 1) + "…";
  }
}
