package tandem.config;

import static org.assertj.core.api.Assertions.assertThat;
import static tandem.config.ConfigFixtures.MINIMAL;
import static tandem.config.ConfigFixtures.load;
import static tandem.config.ConfigFixtures.problemOf;

import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class DnsRulesTest {
  private static String dns(String body) {
    return MINIMAL + "dns:\n" + body.stripIndent().lines().map(l -> "  " + l + "\n").reduce("", String::concat);
  }

  @Test
  void fullSection_readsEveryKey() throws Exception {
    DnsConfig d = load(dns("""
        listen: 10.0.0.1:5353
        zone: HA.Example.com.
        ttl: 3s
        geo: { "10.8.0.0/16": n2, "2001:db8::/32": n1, default: n1 }
        """)).dns().orElseThrow();
    assertThat(d.listen()).isEqualTo(new HostPort("10.0.0.1", 5353));
    assertThat(d.zone()).isEqualTo("ha.example.com");
    assertThat(d.ttl()).isEqualTo(Duration.ofSeconds(3));
    assertThat(d.geo()).extracting(r -> r.network() + " " + r.node()).containsExactly("10.8.0.0/16 n2", "2001:db8:0:0:0:0:0:0/32 n1");
    assertThat(d.geoDefault()).contains("n1");
  }

  @Test
  void zoneOnly_usesDefaults_andNoSectionMeansNoResponder() throws Exception {
    DnsConfig d = load(dns("zone: ha.example.com")).dns().orElseThrow();
    assertThat(d.listen()).isEqualTo(DnsConfig.DEFAULT_LISTEN);
    assertThat(d.ttl()).isEqualTo(Duration.ofSeconds(5));
    assertThat(d.geo()).isEmpty();
    assertThat(d.geoDefault()).isEqualTo(Optional.empty());
    assertThat(load(MINIMAL).dns()).isEmpty();
  }

  @Test
  void missingZone_isRequired() {
    assertThat(problemOf(dns("ttl: 5s")).path()).isEqualTo("dns.zone");
  }

  @Test
  void badZone_saysWhatADnsNameIs() {
    assertThat(problemOf(dns("zone: ha..example.com"))).isEqualTo(new ConfigProblem("dns.zone", "'ha..example.com' is"
        + " not a DNS name: use labels of letters, digits and '-' (at most 63 each) joined by dots, e.g. zone: ha.example.com"));
  }

  @Test
  void subSecondOrLongTtl_isRefused() {
    assertThat(problemOf(dns("zone: ha.example.com\nttl: 1500ms")).message()).startsWith("must be whole seconds from 1s to 1h");
    assertThat(problemOf(dns("zone: ha.example.com\nttl: 2h")).path()).isEqualTo("dns.ttl");
  }

  @Test
  void badGeoNetworkOrNode_namesTheRule() {
    assertThat(problemOf(dns("zone: ha.example.com\ngeo: { \"10.8.0.0\": n2 }"))).isEqualTo(new ConfigProblem(
        "dns.geo.10.8.0.0", "'10.8.0.0' has no prefix length; write address/prefix, e.g. 10.8.0.0/16; or use the key"
        + " default for clients no rule matches"));
    assertThat(problemOf(dns("zone: ha.example.com\ngeo: { \"10.8.0.0/16\": N_2 }")).message())
        .startsWith("'N_2' is not a node name");
  }

  @Test
  void badListen_namesTheKey() {
    assertThat(problemOf(dns("zone: ha.example.com\nlisten: 53")).path()).isEqualTo("dns.listen");
  }
}
