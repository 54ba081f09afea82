package tandem.config;

import static org.assertj.core.api.Assertions.assertThat;
import static tandem.config.ConfigFixtures.load;
import static tandem.config.ConfigFixtures.withGroup;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class ConfigWarningsTest {
  @Test
  void fenceWindow_withTheDefaults_is600ms() {
    assertThat(FailoverSettings.DEFAULTS.fenceWindow()).isEqualTo(Duration.ofMillis(600));
  }

  @Test
  void leaseFor_givesAWindowThatHoldsTheChain() {
    FailoverSettings d = FailoverSettings.DEFAULTS;
    Duration lease = d.leaseFor(Duration.ofSeconds(10));

    assertThat(lease).isEqualTo(Duration.ofSeconds(65));
    assertThat(new FailoverSettings(lease, d.renewInterval(), d.promoteMargin()).fenceWindow())
        .isGreaterThanOrEqualTo(Duration.ofSeconds(10));
    assertThat(d.leaseFor(Duration.ofMillis(100))).as("never shorter than today's").isEqualTo(d.lease());
  }

  @Test
  void serviceStopTimeoutLongerThanTheFenceWindow_warnsNamingTheKeyAndTheFix() throws ConfigException {
    TandemConfig c = load(withGroup("""
        nodes: { n1: primary, n2: passive }
        resources:
          - service: { start: "a", stop: "b", timeout: 10s }"""));

    assertThat(ConfigWarnings.of(c)).singleElement().satisfies(w -> {
      assertThat(w.path()).isEqualTo("groups.web.resources[0].service.timeout");
      assertThat(w.message()).contains("up to 10s", "fence window is 600ms", "failover.lease 2s",
          "failover.promote-margin 300ms", "Raise failover.lease to 1m5s", "at most 600ms");
    });
  }

  @Test
  void stopsThatFitOneByOne_butNotTogether_warnAboutTheChain() throws ConfigException {
    TandemConfig c = load(withGroup("""
        nodes: { n1: primary, n2: passive }
        resources:
          - service: { start: "a", stop: "b", timeout: 400ms }
          - service: { start: "c", stop: "d", timeout: 400ms }"""));

    assertThat(ConfigWarnings.of(c)).singleElement().satisfies(w -> {
      assertThat(w.path()).isEqualTo("groups.web");
      assertThat(w.message()).contains("2 commands", "up to 800ms", "Raise failover.lease to 3.4s",
          "shorten the stop timeouts");
    });
  }

  @Test
  void onDemoteHook_countsInTheChain() throws ConfigException {
    TandemConfig c = load(withGroup("""
        nodes: { n1: primary, n2: passive }
        on-demote: /bin/true
        hook-timeout: 5s"""));

    assertThat(ConfigWarnings.of(c)).extracting(ConfigProblem::path).containsExactly("groups.web.hook-timeout");
  }

  @Test
  void stopsInsideALongEnoughLease_giveNoWarning() throws ConfigException {
    TandemConfig c = load(withGroup("""
        nodes: { n1: primary, n2: passive }
        resources:
          - service: { start: "a", stop: "b", timeout: 2s }""").replace("groups:", """
        failover: { lease: 20s, renew-interval: 1s }
        groups:"""));

    assertThat(c.failover().fenceWindow()).isEqualTo(Duration.ofMillis(3300));
    assertThat(ConfigWarnings.of(c)).isEmpty();
  }

  @Test
  void s3CredentialsWithoutAnyS3Location_warnThatTheyAreUnused() throws ConfigException {
    String backup = "backups:\n  nightly: { schedule: daily, groups: [web], repository: %s, password-file: /k, keep: { last: 1 },"
        + " s3-credentials-file: /etc/tandem/s3.credentials }\n";
    String group = withGroup("nodes: { n1: primary }\nresources:\n  - files: { path: /srv/www }");

    assertThat(ConfigWarnings.of(load(group + backup.formatted("/backups/tandem")))).singleElement().satisfies(w -> {
      assertThat(w.path()).isEqualTo("backups.nightly.s3-credentials-file");
      assertThat(w.message()).contains("not used");
    });
    assertThat(ConfigWarnings.of(load(group + backup.formatted("s3://tandem-bucket/web")))).isEmpty();
  }
}
