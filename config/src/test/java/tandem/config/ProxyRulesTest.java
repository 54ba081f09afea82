package tandem.config;

import static org.assertj.core.api.Assertions.assertThat;
import static tandem.config.ConfigFixtures.load;
import static tandem.config.ConfigFixtures.problemOf;
import static tandem.config.ConfigFixtures.withGroup;

import java.util.Optional;
import org.junit.jupiter.api.Test;

class ProxyRulesTest {
  private static final String NODES = "nodes: { n1: primary, n2: passive }\nresources:\n";

  @Test
  void fullProxy_readsEveryKey() throws Exception {
    TandemConfig c = load(withGroup(NODES
        + "  - proxy: { listen: 0.0.0.0:5000, to: 127.0.0.1:5432, read-listen: 0.0.0.0:5001, peer-port: 6000 }"));
    assertThat(c.groups().get("web").resources()).containsExactly(new ProxyConfig(HostPort.parse("0.0.0.0:5000"),
        HostPort.parse("127.0.0.1:5432"), Optional.of(HostPort.parse("0.0.0.0:5001")), 6000));
  }

  @Test
  void peerPort_defaultsToListenPlus100() throws Exception {
    TandemConfig c = load(withGroup(NODES + "  - proxy: { listen: 0.0.0.0:5000, to: 127.0.0.1:5432 }"));
    ProxyConfig p = (ProxyConfig) c.groups().get("web").resources().getFirst();
    assertThat(p.peerPort()).isEqualTo(5100);
    assertThat(p.readListen()).isEmpty();
  }

  @Test
  void missingTo_isRequiredWithExample() {
    assertThat(problemOf(withGroup(NODES + "  - proxy: { listen: 0.0.0.0:5000 }"))).isEqualTo(new ConfigProblem(
        "groups.web.resources[0].proxy.to", "required: the backend as this node reaches it, e.g. to: 127.0.0.1:5432"));
  }

  @Test
  void badHostPort_namesTheKeyAndTheForm() {
    assertThat(problemOf(withGroup(NODES + "  - proxy: { listen: 5000, to: 127.0.0.1:5432 }"))).isEqualTo(
        new ConfigProblem("groups.web.resources[0].proxy.listen", "'5000' is not host:port, e.g. 10.0.0.1:7400"));
  }

  @Test
  void wildcardTo_isRefused() {
    assertThat(problemOf(withGroup(NODES + "  - proxy: { listen: 0.0.0.0:5000, to: 0.0.0.0:5432 }")).message())
        .contains("is a wildcard").contains("to: 127.0.0.1:5432");
  }

  @Test
  void toItsOwnListen_isALoop() {
    assertThat(problemOf(withGroup(NODES + "  - proxy: { listen: 0.0.0.0:5000, to: 127.0.0.1:5000 }")).message())
        .contains("forward to itself");
  }

  @Test
  void readListenOnTheListenPort_isRefused() {
    assertThat(problemOf(withGroup(NODES + "  - proxy: { listen: 0.0.0.0:5000, to: 127.0.0.1:5432,"
        + " read-listen: 127.0.0.1:5000 }"))).isEqualTo(new ConfigProblem("groups.web.resources[0].proxy.read-listen",
            "port 5000 is already used by listen; give read-listen its own port"));
  }

  @Test
  void proxyOnTheApiPort_isRefused() {
    assertThat(problemOf(withGroup(NODES + "  - proxy: { listen: 0.0.0.0:8400, to: 127.0.0.1:5432 }"))).isEqualTo(
        new ConfigProblem("groups.web.resources[0].proxy.listen", "port 8400 is already used by node.api; give each"
            + " its own port"));
  }

  @Test
  void peerPortOnTheNodeListenPort_isRefused() {
    assertThat(problemOf(withGroup(NODES + "  - proxy: { listen: 0.0.0.0:5000, to: 127.0.0.1:5432, peer-port: 7400 }")))
        .isEqualTo(new ConfigProblem("groups.web.resources[0].proxy.peer-port", "port 7400 is already used by"
            + " node.listen; give each its own port"));
  }

  @Test
  void unknownKey_suggestsTheRightOne() {
    assertThat(problemOf(withGroup(NODES + "  - proxy: { listen: 0.0.0.0:5000, to: 127.0.0.1:5432, read_listen: 0.0.0.0:5001 }"))
        .message()).contains("did you mean 'read-listen'?");
  }
}
