package tandem.config;

import static org.assertj.core.api.Assertions.assertThat;
import static tandem.config.ConfigFixtures.load;
import static tandem.config.ConfigFixtures.problemOf;
import static tandem.config.ConfigFixtures.withGroup;

import org.junit.jupiter.api.Test;

class VipRulesTest {
  private static String vip(String body) {
    return withGroup("nodes: { n1: primary, n2: passive }\nresources:\n  - vip: " + body);
  }

  @Test
  void vipResource_readsAddressPrefixAndInterface() throws Exception {
    TandemConfig c = load(vip("{ address: 192.0.2.100/24, interface: eth0 }"));
    VipConfig v = (VipConfig) c.groups().get("web").resources().getFirst();
    assertThat(v.address().toString()).isEqualTo("192.0.2.100/24");
    assertThat(v.iface()).isEqualTo("eth0");
    assertThat(v.kind()).isEqualTo("vip");
  }

  @Test
  void ipv6Vip_isAccepted() throws Exception {
    VipConfig v = (VipConfig) load(vip("{ address: \"2001:db8::10/64\", interface: ens3 }")).groups().get("web")
        .resources().getFirst();
    assertThat(v.address().v6()).isTrue();
    assertThat(v.address().prefix()).isEqualTo(64);
  }

  @Test
  void addressWithoutPrefix_asksForOne() {
    assertThat(problemOf(vip("{ address: 192.0.2.100, interface: eth0 }"))).isEqualTo(new ConfigProblem(
        "groups.web.resources[0].vip.address",
        "'192.0.2.100' has no prefix length; write address/prefix, e.g. 192.0.2.100/24"));
  }

  @Test
  void prefixOutOfRange_namesTheRange() {
    assertThat(problemOf(vip("{ address: 192.0.2.100/33, interface: eth0 }")).message())
        .isEqualTo("'192.0.2.100/33' has prefix length '33'; use a whole number from 0 to 32, e.g. 192.0.2.100/24");
  }

  @Test
  void hostNameOrBadOctet_isNotAnAddress() {
    assertThat(problemOf(vip("{ address: www.example.com/24, interface: eth0 }")).message())
        .startsWith("'www.example.com/24' does not start with an IP address");
    assertThat(problemOf(vip("{ address: 192.0.2.300/24, interface: eth0 }")).path())
        .isEqualTo("groups.web.resources[0].vip.address");
  }

  @Test
  void badInterfaceName_saysWhatANameIs() {
    ConfigProblem p = problemOf(vip("{ address: 192.0.2.100/24, interface: \"eth0 up\" }"));
    assertThat(p.path()).isEqualTo("groups.web.resources[0].vip.interface");
    assertThat(p.message()).startsWith("'eth0 up' is not a network interface name").contains("e.g. interface: eth0");
    assertThat(problemOf(vip("{ address: 192.0.2.100/24, interface: averyveryverylongname }")).message())
        .contains("at most 15");
  }

  @Test
  void missingKeys_areRequiredWithExamples() {
    assertThat(problemOf(vip("{ address: 192.0.2.100/24 }"))).isEqualTo(new ConfigProblem(
        "groups.web.resources[0].vip.interface",
        "required: the network interface that carries the address, e.g. interface: eth0"));
    assertThat(problemOf(vip("{ interface: eth0 }")).path()).isEqualTo("groups.web.resources[0].vip.address");
  }

  @Test
  void unknownKey_suggestsTheRightOne() {
    assertThat(problemOf(vip("{ address: 192.0.2.100/24, iface: eth0, interface: eth0 }")).message())
        .startsWith("unknown key 'iface'");
  }
}
