package tandem.config;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * One place alerts are delivered to: an item of the top-level {@code alerts:} list.
 */
public sealed interface AlertTarget {

  /** How the target is named in events and metrics, e.g. "webhook hooks.slack.com" or "email ops@example.com". */
  String name();

  /** How long one delivery attempt may take. */
  Duration timeout();

  /** The JSON a webhook receives. */
  enum Format {
    /** tandem's own object: state, level, kind, node, group, message, time. */
    GENERIC,
    /** Slack incoming webhook: {@code {"text": ...}}. */
    SLACK,
    /** Discord webhook: {@code {"content": ...}} (at most 2,000 characters). */
    DISCORD,
    /** Telegram Bot API sendMessage: {@code {"chat_id": ..., "text": ...}}. */
    TELEGRAM
  }

  /** How the SMTP connection is protected. */
  enum Tls {
    /** Plain connection upgraded with STARTTLS, which must succeed (port 587). */
    STARTTLS,
    /** TLS from the first byte (SMTPS, port 465). */
    TLS,
    /** No encryption: only for a relay on the same host or network. */
    NONE
  }

  /**
   * An HTTP POST of one JSON object per alert.
   *
   * @param url where to post, http or https
   * @param format the JSON shape
   * @param chatId Telegram's chat_id; present exactly for {@link Format#TELEGRAM}
   */
  record Webhook(URI url, Format format, Optional<String> chatId, Duration timeout) implements AlertTarget {
    public Webhook {
      Objects.requireNonNull(url, "url");
      Objects.requireNonNull(format, "format");
      Objects.requireNonNull(chatId, "chatId");
      Objects.requireNonNull(timeout, "timeout");
    }

    @Override
    public String name() {
      return "webhook " + url.getHost() + (url.getPort() > 0 ? ":" + url.getPort() : "");
    }
  }

  /**
   * An email per alert, sent through an SMTP server.
   *
   * @param to the recipients, at least one
   * @param from the sender address
   * @param smtp the SMTP server
   * @param user the SMTP login, when the server wants one
   * @param passwordFile the file whose first line is the SMTP password; present exactly when {@code user} is
   */
  record Email(List<String> to, String from, HostPort smtp, Optional<String> user, Optional<Path> passwordFile, Tls tls,
      Duration timeout) implements AlertTarget {
    public Email {
      to = List.copyOf(to);
      if (to.isEmpty()) {
        throw new IllegalArgumentException("an email target needs at least one recipient");
      }
      Objects.requireNonNull(from, "from");
      Objects.requireNonNull(smtp, "smtp");
      Objects.requireNonNull(user, "user");
      Objects.requireNonNull(passwordFile, "passwordFile");
      Objects.requireNonNull(tls, "tls");
      Objects.requireNonNull(timeout, "timeout");
    }

    @Override
    public String name() {
      return "email " + String.join(",", to);
    }
  }
}
