package tandem.alert;

import jakarta.mail.Message;
import jakarta.mail.MessagingException;
import jakarta.mail.Session;
import jakarta.mail.Transport;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.MimeMessage;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.Date;
import java.util.Properties;
import tandem.config.AlertTarget;

/**
 * Sends one alert to one target. Called from the target's own thread, one alert at a time; an exception means
 * "not delivered, try again later" and its message says why.
 */
interface Delivery {
  void deliver(Alert alert) throws Exception;

  static Delivery of(AlertTarget target, String cluster) {
    return switch (target) {
      case AlertTarget.Webhook w -> new Webhook(w, cluster);
      case AlertTarget.Email e -> new Email(e, cluster);
    };
  }

  /** An HTTP POST with the JDK's client; any status but 2xx is a failure. */
  final class Webhook implements Delivery {
    private final AlertTarget.Webhook target;
    private final String cluster;
    private final URI url;
    private final HttpClient http;

    Webhook(AlertTarget.Webhook target, String cluster) {
      this.target = target;
      this.cluster = cluster;
      URI u = target.url();
      // Telegram's Bot API is addressed as https://api.telegram.org/bot<token>/sendMessage; the method may be left out.
      this.url = target.format() == AlertTarget.Format.TELEGRAM && !u.getPath().endsWith("/sendMessage")
          ? URI.create(u.toString().replaceAll("/+$", "") + "/sendMessage") : u;
      this.http = HttpClient.newBuilder().connectTimeout(target.timeout()).followRedirects(HttpClient.Redirect.NORMAL)
          .build();
    }

    @Override
    public void deliver(Alert alert) throws IOException, InterruptedException {
      HttpRequest req = HttpRequest.newBuilder(url).timeout(target.timeout())
          .header("Content-Type", "application/json; charset=utf-8").header("User-Agent", "tandem")
          .POST(HttpRequest.BodyPublishers.ofString(Payloads.json(target, cluster, alert), StandardCharsets.UTF_8))
          .build();
      HttpResponse<String> r = http.send(req, HttpResponse.BodyHandlers.ofString());
      if (r.statusCode() / 100 != 2) {
        String body = r.body() == null ? "" : r.body().strip();
        throw new IOException("HTTP " + r.statusCode() + " from " + url.getHost()
            + (body.isEmpty() ? "" : ": " + (body.length() > 200 ? body.substring(0, 200) + "…" : body)));
      }
    }
  }

  /** An email through SMTP with Jakarta Mail; the password file is read at each send, so a changed one is used. */
  final class Email implements Delivery {
    private final AlertTarget.Email target;
    private final String cluster;
    private final Session session;
    private final String protocol;

    Email(AlertTarget.Email target, String cluster) {
      this.target = target;
      this.cluster = cluster;
      this.protocol = target.tls() == AlertTarget.Tls.TLS ? "smtps" : "smtp";
      String p = "mail." + protocol + ".";
      String ms = Long.toString(target.timeout().toMillis());
      Properties props = new Properties();
      props.put(p + "host", target.smtp().host());
      props.put(p + "port", Integer.toString(target.smtp().port()));
      props.put(p + "connectiontimeout", ms);
      props.put(p + "timeout", ms);
      props.put(p + "writetimeout", ms);
      props.put(p + "auth", Boolean.toString(target.user().isPresent()));
      props.put(p + "ssl.checkserveridentity", "true");
      if (target.tls() == AlertTarget.Tls.STARTTLS) {
        props.put(p + "starttls.enable", "true");
        props.put(p + "starttls.required", "true");
      }
      this.session = Session.getInstance(props);
    }

    @Override
    public void deliver(Alert alert) throws MessagingException, IOException {
      MimeMessage m = new MimeMessage(session);
      m.setFrom(new InternetAddress(target.from()));
      for (String to : target.to()) {
        m.addRecipient(Message.RecipientType.TO, new InternetAddress(to));
      }
      m.setSubject(Payloads.subject(cluster, alert), "UTF-8");
      m.setText(Payloads.emailBody(cluster, alert), "UTF-8");
      m.setSentDate(Date.from(alert.event().time()));
      try (Transport t = session.getTransport(protocol)) {
        t.connect(target.smtp().host(), target.smtp().port(), target.user().orElse(null), password());
        t.sendMessage(m, m.getAllRecipients());
      }
    }

    private String password() throws IOException {
      if (target.passwordFile().isEmpty()) {
        return null;
      }
      try {
        return Files.readAllLines(target.passwordFile().get(), StandardCharsets.UTF_8).stream().findFirst().orElse("");
      } catch (IOException e) {
        throw new IOException("cannot read the SMTP password from " + target.passwordFile().get() + " (" + e
            + "); check alerts[].email.password-file and its permissions", e);
      }
    }
  }
}
