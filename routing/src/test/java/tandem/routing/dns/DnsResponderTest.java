package tandem.routing.dns;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.SimpleResolver;
import org.xbill.DNS.Type;
import tandem.config.Cidr;
import tandem.config.DnsConfig;
import tandem.config.HostPort;

/**
 * The responder on a real socket on 127.0.0.1, asked by dnsjava's own resolver client, with the
 * cluster given by a map the test changes (a failover is a new primary in it).
 */
class DnsResponderTest {
  private static final Map<String, DnsDirectory.GroupView> GROUPS = new ConcurrentHashMap<>();
  private static final Map<String, List<InetAddress>> ADDRESSES = Map.of(
      "n1", List.of(ip("10.0.0.1"), ip("2001:db8::1")),
      "n2", List.of(ip("10.0.0.2")),
      "n3", List.of(ip("10.0.0.3")));
  private static final DnsDirectory DIRECTORY = new DnsDirectory() {
    @Override
    public Optional<GroupView> group(String name) {
      return Optional.ofNullable(GROUPS.get(name));
    }

    @Override
    public List<InetAddress> addresses(String node) {
      return ADDRESSES.getOrDefault(node, List.of());
    }
  };
  /** Clients on 127.0.0.0/8 (this test) are nearest to n2; everyone else to n1. */
  private static final DnsConfig CONFIG = new DnsConfig(new HostPort("127.0.0.1", 1), "ha.example.com",
      Duration.ofSeconds(5), List.of(new DnsConfig.GeoRule(Cidr.parse("127.0.0.0/8"), "n2"),
      new DnsConfig.GeoRule(Cidr.parse("10.8.0.0/16"), "n3"), new DnsConfig.GeoRule(Cidr.parse("10.8.1.0/24"), "n2")),
      Optional.of("n1"));

  private static DnsResponder responder;
  private static SimpleResolver udp;
  private static SimpleResolver tcp;

  @BeforeAll
  static void start() throws Exception {
    responder = DnsResponder.start(CONFIG, DIRECTORY, new java.net.InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
  }

  @AfterAll
  static void stop() {
    if (responder != null) {
      responder.close();
    }
  }

  @BeforeEach
  void resetCluster() throws Exception {
    GROUPS.clear();
    GROUPS.put("web", new DnsDirectory.GroupView("n1", List.of()));
    GROUPS.put("shop", new DnsDirectory.GroupView("n1", List.of("n2", "n3")));
    udp = resolver(false);
    tcp = resolver(true);
  }

  private static SimpleResolver resolver(boolean overTcp) throws Exception {
    SimpleResolver r = new SimpleResolver(InetAddress.getLoopbackAddress());
    r.setPort(responder.port());
    r.setTCP(overTcp);
    r.setTimeout(Duration.ofSeconds(5));
    return r;
  }

  private static Message ask(SimpleResolver r, String name, int type) throws Exception {
    return r.send(Message.newQuery(Record.newRecord(Name.fromString(name), type, DClass.IN)));
  }

  private static List<String> answers(Message m) {
    return m.getSection(Section.ANSWER).stream().map(r -> r.rdataToString()).toList();
  }

  @Test
  void groupName_answersThePrimary_andAfterAFailoverTheNewOne() throws Exception {
    Message before = ask(udp, "web.ha.example.com.", Type.A);
    assertThat(before.getRcode()).isEqualTo(Rcode.NOERROR);
    assertThat(before.getHeader().getFlag(Flags.AA)).as("authoritative").isTrue();
    assertThat(answers(before)).containsExactly("10.0.0.1");
    assertThat(before.getSection(Section.ANSWER).getFirst().getTTL()).isEqualTo(5);

    GROUPS.put("web", new DnsDirectory.GroupView("n2", List.of()));
    assertThat(answers(ask(udp, "WEB.ha.example.com.", Type.A))).as("after the failover, any case").containsExactly("10.0.0.2");
    assertThat(answers(ask(tcp, "web.ha.example.com.", Type.A))).as("over TCP").containsExactly("10.0.0.2");
  }

  @Test
  void aaaa_answersIpv6AddressesOnly() throws Exception {
    assertThat(answers(ask(udp, "web.ha.example.com.", Type.AAAA))).containsExactly("2001:db8:0:0:0:0:0:1");
    GROUPS.put("web", new DnsDirectory.GroupView("n2", List.of()));
    Message none = ask(udp, "web.ha.example.com.", Type.AAAA);
    assertThat(none.getRcode()).as("n2 has no IPv6 address: NODATA").isEqualTo(Rcode.NOERROR);
    assertThat(none.getSection(Section.ANSWER)).isEmpty();
    assertThat(none.getSection(Section.AUTHORITY)).extracting(Record::getType).containsExactly(Type.SOA);
  }

  @Test
  void activeGroup_answersEveryHealthyNode_nearestToTheClientFirst() throws Exception {
    assertThat(answers(ask(udp, "shop.ha.example.com.", Type.A))).as("127.0.0.1 is nearest to n2 by geo")
        .containsExactly("10.0.0.2", "10.0.0.1", "10.0.0.3");
    GROUPS.put("shop", new DnsDirectory.GroupView("n1", List.of("n3")));
    assertThat(answers(ask(tcp, "shop.ha.example.com.", Type.A))).as("n2 unhealthy: left out, order by name")
        .containsExactly("10.0.0.1", "10.0.0.3");
  }

  @Test
  void geoRules_longestPrefixWins_elseTheDefault() {
    DnsAnswers a = new DnsAnswers(CONFIG, DIRECTORY);
    DnsDirectory.GroupView shop = new DnsDirectory.GroupView("n1", List.of("n2", "n3"));
    assertThat(a.targets(shop, ip("10.8.7.7"))).as("10.8.0.0/16 -> n3").startsWith(ip("10.0.0.3"));
    assertThat(a.targets(shop, ip("10.8.1.7"))).as("10.8.1.0/24 beats /16 -> n2").startsWith(ip("10.0.0.2"));
    assertThat(a.targets(shop, ip("192.0.2.1"))).as("default -> n1").containsExactly(ip("10.0.0.1"), ip("2001:db8::1"),
        ip("10.0.0.2"), ip("10.0.0.3"));
    assertThat(a.targets(new DnsDirectory.GroupView("n3", List.of()), ip("10.8.1.7"))).as("no active nodes: the"
        + " primary only, whatever geo says").containsExactly(ip("10.0.0.3"));
  }

  @Test
  void unknownNameInTheZone_isNxdomain_andOutsideIsRefused() throws Exception {
    Message nx = ask(udp, "nosuchgroup.ha.example.com.", Type.A);
    assertThat(nx.getRcode()).isEqualTo(Rcode.NXDOMAIN);
    assertThat(nx.getHeader().getFlag(Flags.AA)).isTrue();
    assertThat(nx.getSection(Section.AUTHORITY)).extracting(Record::getType).containsExactly(Type.SOA);
    assertThat(ask(udp, "a.web.ha.example.com.", Type.A).getRcode()).as("below a group").isEqualTo(Rcode.NXDOMAIN);
    Message refused = ask(udp, "www.example.org.", Type.A);
    assertThat(refused.getRcode()).isEqualTo(Rcode.REFUSED);
    assertThat(refused.getSection(Section.ANSWER)).isEmpty();
    assertThat(ask(tcp, "example.com.", Type.A).getRcode()).as("the parent zone is not ours").isEqualTo(Rcode.REFUSED);
  }

  @Test
  void groupWithoutPrimary_isAnEmptyNoErrorWithTheSoa() throws Exception {
    GROUPS.put("web", new DnsDirectory.GroupView(null, List.of()));
    Message m = ask(udp, "web.ha.example.com.", Type.A);
    assertThat(m.getRcode()).isEqualTo(Rcode.NOERROR);
    assertThat(m.getSection(Section.ANSWER)).isEmpty();
    Record soa = m.getSection(Section.AUTHORITY).getFirst();
    assertThat(soa.getType()).isEqualTo(Type.SOA);
    assertThat(((org.xbill.DNS.SOARecord) soa).getMinimum()).as("negative answers cached for the TTL").isEqualTo(5);
  }

  @Test
  void zoneApex_answersSoa() throws Exception {
    Message m = ask(udp, "ha.example.com.", Type.SOA);
    assertThat(m.getRcode()).isEqualTo(Rcode.NOERROR);
    assertThat(m.getSection(Section.ANSWER)).extracting(r -> r.getName().toString()).containsExactly("ha.example.com.");
  }

  private static InetAddress ip(String literal) {
    try {
      return InetAddress.getByName(literal);
    } catch (java.net.UnknownHostException e) {
      throw new IllegalArgumentException(e);
    }
  }
}
