package tandem.alert;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.icegreen.greenmail.util.GreenMail;
import com.icegreen.greenmail.util.ServerSetup;
import jakarta.mail.Message;
import jakarta.mail.internet.MimeMessage;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tandem.config.AlertTarget;
import tandem.config.HostPort;
import tandem.core.Event;
import tandem.core.EventLog;
import tandem.core.Level;

/**
 * The notifier against real receivers on 127.0.0.1: a JDK HttpServer for webhooks and GreenMail for SMTP. Events go
 * through a real {@link EventLog} to which the notifier is subscribed, as in the agent, so a failing target's own
 * event travels the same way. Order of delivery per target is first in, first out, so a test waits for a last
 * "marker" alert to know that everything before it was delivered or skipped.
 */
class NotifierTest {
  static final Duration PATIENCE = Duration.ofSeconds(15 * Long.getLong("timing-multiple", 1));
  static final Notifier.Settings FAST = new Notifier.Settings(100, Duration.ofMillis(50), Duration.ofMillis(400),
      Duration.ofHours(1));

  @TempDir Path dir;
  EventLog events;
  final List<AutoCloseable> closing = new ArrayList<>();

  @BeforeEach
  void log() throws Exception {
    events = new EventLog(dir.resolve("events.jsonl"));
  }

  @AfterEach
  void close() throws Exception {
    for (AutoCloseable c : closing.reversed()) {
      c.close();
    }
    events.close();
  }

  @Test
  void warningsAreSent_aConditionOnce_andItsRecovery_butInfoIsNot() throws Exception {
    HttpReceiver hook = receiver(HttpReceiver.start());
    notifier(webhook(hook.url("/hook"), AlertTarget.Format.GENERIC));
    emit(Level.INFO, "started", "", "agent n1 started");
    emit(Level.WARNING, "primary-changed", "web", "n2 promoted after n1's lease lapsed (epoch 2)");
    emit(Level.CRITICAL, "check-failed", "web", "check http://127.0.0.1/health failed 3 times in a row (refused)");
    emit(Level.CRITICAL, "check-failed", "web", "check http://127.0.0.1/health failed 3 times in a row (timeout)");
    emit(Level.WARNING, "check-failed", "web", "check tcp:127.0.0.1:5432 failed 3 times in a row (refused)");
    emit(Level.INFO, "check-recovered", "web", "check http://127.0.0.1/health recovered: passed 2 times in a row");
    emit(Level.INFO, "check-recovered", "web", "check http://127.0.0.1/health recovered: passed 2 times in a row");
    emit(Level.WARNING, "file-conflict", "web", "marker");

    await().atMost(PATIENCE).until(() -> hook.posts.size() >= 5);
    assertThat(hook.kinds()).containsExactly("firing primary-changed", "firing check-failed", "firing check-failed",
        "resolved check-recovered", "firing file-conflict");
    var first = hook.posts.get(0).body();
    assertThat(first.path("cluster").asText()).isEqualTo("shop");
    assertThat(first.path("level").asText()).isEqualTo("warning");
    assertThat(first.path("node").asText()).isEqualTo("n1");
    assertThat(first.path("group").asText()).isEqualTo("web");
    assertThat(first.path("message").asText()).isEqualTo("n2 promoted after n1's lease lapsed (epoch 2)");
    assertThat(first.path("text").asText()).isEqualTo(
        "[tandem shop] FIRING warning primary-changed (group web, node n1): n2 promoted after n1's lease lapsed (epoch 2)");
    assertThat(hook.posts.get(1).body().path("subject").asText()).isEqualTo("http://127.0.0.1/health");
    assertThat(hook.posts.get(2).body().path("subject").asText()).isEqualTo("tcp:127.0.0.1:5432");
  }

  @Test
  void aTargetThatIsDown_getsItsAlertsOnceBack_andItsOutageGoesToTheOtherTargetOnly() throws Exception {
    int downPort = HttpReceiver.freePort();
    HttpReceiver other = receiver(HttpReceiver.start());
    Notifier n = notifier(webhook("http://127.0.0.1:" + downPort + "/hook", AlertTarget.Format.GENERIC),
        webhook(other.url("/other"), AlertTarget.Format.GENERIC));
    emit(Level.WARNING, "primary-changed", "web", "n2 promoted (epoch 2)");
    emit(Level.CRITICAL, "backup-failed", "web", "backup nightly failed: repository full");
    emit(Level.WARNING, "peer-refused", "", "refused a certificate that is not pinned");

    await().atMost(PATIENCE).until(() -> other.posts.size() >= 4);
    assertThat(other.kinds()).containsExactly("firing primary-changed", "firing backup-failed", "firing peer-refused",
        "firing alert-failed");
    assertThat(other.posts.get(3).body().path("message").asText())
        .startsWith("alert target 'webhook 127.0.0.1:" + downPort + "' failed: ");
    assertThat(events.after(0, Duration.ZERO)).extracting(x -> x.event().kind()).containsOnlyOnce("alert-failed");
    assertThat(n.stats().getFirst().failing()).isTrue();
    assertThat(n.stats().getFirst().queued()).isEqualTo(3);

    HttpReceiver back = receiver(HttpReceiver.startOn(downPort));
    await().atMost(PATIENCE).until(() -> back.posts.size() >= 3 && other.posts.size() >= 5);
    assertThat(back.kinds()).containsExactly("firing primary-changed", "firing backup-failed", "firing peer-refused");
    assertThat(other.kinds().get(4)).isEqualTo("resolved alert-recovered");
    // The receiver has the post before the notifier has counted its answer.
    await().atMost(PATIENCE).until(() -> n.stats().getFirst().queued() == 0);
    Notifier.TargetStats s = n.stats().getFirst();
    assertThat(s.delivered()).isEqualTo(3);
    assertThat(s.failedAttempts()).isPositive();
    assertThat(s.failing()).isFalse();
    assertThat(s.queued()).isZero();
  }

  @Test
  void slackDiscordAndTelegram_getTheirDocumentedShapes() throws Exception {
    HttpReceiver hook = receiver(HttpReceiver.start());
    notifier(webhook(hook.url("/services/T0/B0/X"), AlertTarget.Format.SLACK),
        webhook(hook.url("/api/webhooks/1/abc"), AlertTarget.Format.DISCORD),
        new AlertTarget.Webhook(URI.create(hook.url("/bot123:ABC")), AlertTarget.Format.TELEGRAM, Optional.of("-1001"),
            Duration.ofSeconds(5)));
    String longMessage = "x".repeat(5000);
    emit(Level.CRITICAL, "fenced", "web", longMessage);

    await().atMost(PATIENCE).until(() -> hook.posts.size() >= 3);
    var byPath = new java.util.HashMap<String, com.fasterxml.jackson.databind.JsonNode>();
    hook.posts.forEach(p -> byPath.put(p.path(), p.body()));
    var slack = byPath.get("/services/T0/B0/X");
    assertThat(names(slack)).containsExactly("text");
    assertThat(slack.path("text").asText()).startsWith("[tandem shop] FIRING critical fenced (group web, node n1): xxx")
        .hasSize("[tandem shop] FIRING critical fenced (group web, node n1): ".length() + 5000);
    var discord = byPath.get("/api/webhooks/1/abc");
    assertThat(names(discord)).containsExactly("content");
    assertThat(discord.path("content").asText()).hasSize(2000).endsWith("…");
    var telegram = byPath.get("/bot123:ABC/sendMessage");
    assertThat(names(telegram)).containsExactlyInAnyOrder("chat_id", "text");
    assertThat(telegram.path("chat_id").asText()).isEqualTo("-1001");
    assertThat(telegram.path("text").asText()).hasSize(4096);
  }

  @Test
  void email_reachesARealSmtpServer_alsoWhenItStartsAfterTheAlert() throws Exception {
    int port = HttpReceiver.freePort();
    Path password = dir.resolve("smtp.key");
    Files.writeString(password, "s3cret\nsecond line is ignored\n");
    Notifier n = notifier(new AlertTarget.Email(List.of("ops@example.com", "dba@example.org"), "tandem@example.com",
        new HostPort("127.0.0.1", port), Optional.of("tandem"), Optional.of(password), AlertTarget.Tls.NONE,
        Duration.ofSeconds(5)));
    emit(Level.CRITICAL, "backup-failed", "web", "backup nightly failed: repository full");
    await().atMost(PATIENCE).until(() -> n.stats().getFirst().failing());

    GreenMail smtp = new GreenMail(new ServerSetup(port, "127.0.0.1", ServerSetup.PROTOCOL_SMTP));
    smtp.setUser("tandem@example.com", "tandem", "s3cret");
    smtp.start();
    closing.add(smtp::stop);
    emit(Level.INFO, "backup-done", "web", "backup nightly done: snapshot 1a2b");

    await().atMost(PATIENCE).until(() -> smtp.getReceivedMessages().length >= 4);
    MimeMessage[] got = smtp.getReceivedMessages();
    assertThat(got[0].getSubject()).isEqualTo("[tandem shop] FIRING: backup-failed web on n1");
    assertThat(got[0].getFrom()[0].toString()).isEqualTo("tandem@example.com");
    assertThat(got[0].getRecipients(Message.RecipientType.TO)).extracting(Object::toString)
        .containsExactly("ops@example.com", "dba@example.org");
    assertThat(((String) got[0].getContent()).strip()).startsWith(
        "[tandem shop] FIRING critical backup-failed (group web, node n1): backup nightly failed: repository full")
        .contains("kind:    backup-failed");
    // The server keeps one copy per recipient: each got the firing alert and its resolution.
    assertThat(got).extracting(MimeMessage::getSubject).containsExactlyInAnyOrder(
        "[tandem shop] FIRING: backup-failed web on n1", "[tandem shop] FIRING: backup-failed web on n1",
        "[tandem shop] RESOLVED: backup-done web on n1", "[tandem shop] RESOLVED: backup-done web on n1");
    await().atMost(PATIENCE).until(() -> !n.stats().getFirst().failing());
  }

  @Test
  void anIdenticalEventWithoutACondition_isQuietForTheRepeatWindow() {
    Instant[] now = {Instant.parse("2026-12-05T10:00:00Z")};
    AlertRules rules = new AlertRules(() -> now[0], Duration.ofHours(1));
    Event refused = event(Level.WARNING, "peer-refused", "", "refused certificate 1a2b");
    assertThat(rules.decide(refused)).isPresent();
    now[0] = now[0].plusSeconds(60);
    assertThat(rules.decide(refused)).isEmpty();
    assertThat(rules.decide(event(Level.WARNING, "peer-refused", "", "refused certificate 3c4d"))).isPresent();
    now[0] = now[0].plusSeconds(3600);
    assertThat(rules.decide(refused)).isPresent();
    assertThat(rules.decide(event(Level.INFO, "backup-done", "web", "nothing had failed"))).isEmpty();
    assertThat(rules.decide(event(Level.WARNING, "resumed", "web", "web resumed"))).get()
        .extracting(Alert::state).isEqualTo(Alert.State.RESOLVED);
  }

  @Test
  void failingDumps_areOneAlertUntilADumpWorksAgain() {
    AlertRules rules = new AlertRules(Instant::now, Duration.ofHours(1));
    assertThat(rules.decide(event(Level.WARNING, "db-dump-failed", "db", "could not take its dump of n1: ...; up to 40s")))
        .get().extracting(Alert::state).isEqualTo(Alert.State.FIRING);
    assertThat(rules.decide(event(Level.WARNING, "db-dump-failed", "db", "could not take its dump of n1: ...; up to 1m10s")))
        .as("the same condition, its age grown").isEmpty();
    assertThat(rules.decide(event(Level.INFO, "db-dump-recovered", "db", "installed a dump of n1 again"))).get()
        .extracting(Alert::state).isEqualTo(Alert.State.RESOLVED);
  }

  private static List<String> names(com.fasterxml.jackson.databind.JsonNode o) {
    List<String> out = new ArrayList<>();
    o.fieldNames().forEachRemaining(out::add);
    return out;
  }

  private Notifier notifier(AlertTarget... targets) {
    Notifier n = Notifier.start("shop", "n1", List.of(targets), e -> true, events, InstantSource.system(), FAST);
    events.subscribe(n);
    closing.add(n);
    return n;
  }

  private HttpReceiver receiver(HttpReceiver r) {
    closing.add(r);
    return r;
  }

  private static AlertTarget.Webhook webhook(String url, AlertTarget.Format format) {
    return new AlertTarget.Webhook(URI.create(url), format, Optional.empty(), Duration.ofSeconds(5));
  }

  private void emit(Level level, String kind, String group, String message) {
    events.emit(event(level, kind, group, message));
  }

  private static Event event(Level level, String kind, String group, String message) {
    return new Event(Instant.now(), level, kind, "n1", group, message);
  }
}
