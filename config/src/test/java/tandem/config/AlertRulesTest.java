package tandem.config;

import static org.assertj.core.api.Assertions.assertThat;
import static tandem.config.ConfigFixtures.MINIMAL;
import static tandem.config.ConfigFixtures.load;
import static tandem.config.ConfigFixtures.problemOf;
import static tandem.config.ConfigFixtures.problemsOf;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The {@code alerts:} list and the {@code api:} section of tandem.yaml. */
class AlertRulesTest {
  private static String withAlerts(String items) {
    return MINIMAL + "alerts:\n" + items.stripIndent().lines().map(l -> "  " + l + "\n").reduce("", String::concat);
  }

  @Test
  void webhooksAndEmail_readEveryKey_andSlackDiscordTelegramAreRecognisedByHost() throws Exception {
    TandemConfig c = load(withAlerts("""
        - webhook: https://hooks.example.com/T000
        - webhook: https://hooks.slack.com/services/T0/B0/X
        - webhook: https://discord.com/api/webhooks/1/abc
          timeout: 3s
        - webhook: https://api.telegram.org/bot123:ABC/sendMessage
          chat-id: "-1001"
        - webhook: http://10.0.0.9:9000/hook
          format: slack
        - email: { to: [ops@example.com, dba@example.com], from: tandem@example.com, smtp: smtp.example.com:587,
                   user: tandem, password-file: smtp.key, tls: starttls }
        """));
    assertThat(c.alerts()).hasSize(6);
    assertThat(c.alerts().subList(0, 5)).extracting(t -> ((AlertTarget.Webhook) t).format()).containsExactly(
        AlertTarget.Format.GENERIC, AlertTarget.Format.SLACK, AlertTarget.Format.DISCORD, AlertTarget.Format.TELEGRAM,
        AlertTarget.Format.SLACK);
    assertThat(c.alerts().get(2).timeout()).isEqualTo(Duration.ofSeconds(3));
    assertThat(c.alerts().get(3)).isEqualTo(new AlertTarget.Webhook(URI.create("https://api.telegram.org/bot123:ABC/sendMessage"),
        AlertTarget.Format.TELEGRAM, Optional.of("-1001"), Duration.ofSeconds(10)));
    assertThat(c.alerts().get(5)).isEqualTo(new AlertTarget.Email(List.of("ops@example.com", "dba@example.com"),
        "tandem@example.com", new HostPort("smtp.example.com", 587), Optional.of("tandem"),
        Optional.of(Path.of("/etc/tandem/smtp.key")), AlertTarget.Tls.STARTTLS, Duration.ofSeconds(10)));
    assertThat(c.alerts().get(5).name()).isEqualTo("email ops@example.com,dba@example.com");
    assertThat(c.alerts().get(0).name()).isEqualTo("webhook hooks.example.com");
  }

  @Test
  void noAlerts_andNoApiSection_meanNoTargetsAndClosedReads() throws Exception {
    TandemConfig c = load(MINIMAL);
    assertThat(c.alerts()).isEmpty();
    assertThat(c.api().openRead()).isFalse();
    assertThat(load(MINIMAL + "api: { open-read: true }\n").api().openRead()).isTrue();
  }

  @Test
  void lagAlert_hasDefaults_andTakesDurations() throws Exception {
    assertThat(load(MINIMAL).lagAlert()).isEqualTo(new LagAlert(Duration.ofMinutes(5), Duration.ofMinutes(1)));
    assertThat(load(MINIMAL + "lag-alert: { files: 30s }\n").lagAlert())
        .isEqualTo(new LagAlert(Duration.ofSeconds(30), Duration.ofMinutes(1)));
    ConfigProblem p = problemOf(MINIMAL + "lag-alert: { database: soon }\n");
    assertThat(p.path()).isEqualTo("lag-alert.database");
    assertThat(p.message()).contains("'soon' is not a duration");
  }

  @Test
  void apiOpenRead_mustBeTrueOrFalse() {
    ConfigProblem p = problemOf(MINIMAL + "api: { open-read: yes }\n");
    assertThat(p.path()).isEqualTo("api.open-read");
    assertThat(p.message()).contains("'yes' is not true or false");
  }

  @Test
  void badUrl_isNamedWithAnExample() {
    ConfigProblem p = problemOf(withAlerts("- webhook: hooks.example.com/T000\n"));
    assertThat(p.path()).isEqualTo("alerts[0].webhook");
    assertThat(p.message()).contains("is not an http or https URL").contains("https://hooks.example.com/T000");
  }

  @Test
  void telegramWithoutChatId_isRefused_andChatIdElsewhereToo() {
    ConfigProblem p = problemOf(withAlerts("- webhook: https://api.telegram.org/bot1:A/sendMessage\n"));
    assertThat(p.path()).isEqualTo("alerts[0].chat-id");
    assertThat(p.message()).contains("required").contains("sendMessage needs the chat");
    ConfigProblem q = problemOf(withAlerts("- webhook: https://hooks.example.com/x\n  chat-id: \"1\"\n"));
    assertThat(q.path()).isEqualTo("alerts[0].chat-id");
    assertThat(q.message()).contains("only the telegram format uses chat-id");
  }

  @Test
  void emailProblems_areAllNamed() {
    List<ConfigProblem> ps = problemsOf(withAlerts("""
        - email: { to: [ops], smtp: smtp.example.com, user: tandem, tls: ssl }
        - email: { smtp: smtp.example.com:25 }
        - webhook: https://hooks.example.com/x
          email: { to: a@b.c }
        - pager: 123
        """));
    assertThat(ps).extracting(ConfigProblem::path).contains("alerts[0].email.to[0]", "alerts[0].email.smtp",
        "alerts[0].email.password-file", "alerts[0].email.tls", "alerts[1].email.to", "alerts[2]", "alerts[3].pager");
    assertThat(ps.stream().filter(p -> p.path().equals("alerts[0].email.tls")).findFirst().orElseThrow().message())
        .contains("starttls, tls or none");
    assertThat(ps.stream().filter(p -> p.path().equals("alerts[2]")).findFirst().orElseThrow().message())
        .contains("has both webhook and email");
  }
}
