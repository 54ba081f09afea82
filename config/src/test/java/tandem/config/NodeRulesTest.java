package tandem.config;

import static org.assertj.core.api.Assertions.assertThat;
import static tandem.config.ConfigFixtures.MINIMAL;
import static tandem.config.ConfigFixtures.problemOf;
import static tandem.config.ConfigFixtures.problemsOf;

import org.junit.jupiter.api.Test;

class NodeRulesTest {

  private static String node(String lines) {
    return "cluster: shop\nnode:\n" + lines.stripIndent().lines().map(l -> "  " + l + "\n").reduce("", String::concat);
  }

  @Test
  void missingCluster_isRequiredWithExample() {
    assertThat(problemOf(MINIMAL.replace("cluster: shop\n", ""))).isEqualTo(new ConfigProblem("cluster",
        "required: the cluster's name, the same on every node, e.g. cluster: shop"));
  }

  @Test
  void missingNodeSection_isRequiredWithExample() {
    assertThat(problemOf("cluster: shop\n")).isEqualTo(new ConfigProblem("node",
        "required: this node's name and addresses, e.g. node: { name: n1, listen: 10.0.0.1:7400, "
            + "api: 10.0.0.1:8400 }"));
  }

  @Test
  void missingNodeKeys_areEachNamed() {
    assertThat(problemsOf(node("witness: false"))).extracting(ConfigProblem::path)
        .containsExactly("node.name", "node.listen", "node.api");
    assertThat(problemsOf(node("witness: false")).get(1).message())
        .isEqualTo("required: the address other agents reach this node on, e.g. listen: 10.0.0.1:7400");
  }

  @Test
  void badClusterName_explainsTheNamingRule() {
    assertThat(problemOf(MINIMAL.replace("cluster: shop", "cluster: My_Shop"))).isEqualTo(new ConfigProblem("cluster",
        "'My_Shop' is not a valid cluster name: use 1-63 lower-case letters, digits or '-', starting with a letter or "
            + "digit"));
  }

  @Test
  void badNodeName_explainsTheNamingRule() {
    assertThat(problemOf(MINIMAL.replace("name: n1", "name: -n1"))).isEqualTo(new ConfigProblem("node.name",
        "'-n1' is not a valid node name: use 1-63 lower-case letters, digits or '-', starting with a letter or digit"));
  }

  @Test
  void addressWithoutPort_showsTheExpectedForm() {
    assertThat(problemOf(MINIMAL.replace("listen: 10.0.0.1:7400", "listen: 10.0.0.1")))
        .isEqualTo(new ConfigProblem("node.listen", "'10.0.0.1' is not host:port, e.g. 10.0.0.1:7400"));
  }

  @Test
  void portOutOfRange_givesTheRange() {
    assertThat(problemOf(MINIMAL.replace("api: 10.0.0.1:8400", "api: 10.0.0.1:70000")))
        .isEqualTo(new ConfigProblem("node.api", "'10.0.0.1:70000' has port 70000: use a port from 1 to 65535"));
  }

  @Test
  void raftPortThatIsNotANumber_givesTheRange() {
    assertThat(problemOf(MINIMAL + "  raft-port: seven")).isEqualTo(new ConfigProblem("node.raft-port",
        "'seven' is not a whole number; write one from 1 to 65535"));
  }

  @Test
  void apiOnTheListenPort_isAPortClash() {
    assertThat(problemOf(MINIMAL.replace("api: 10.0.0.1:8400", "api: 10.0.0.1:7400")))
        .isEqualTo(new ConfigProblem("node.api", "port 7400 is already used by node.listen; give each its own port"));
  }

  @Test
  void raftPortEqualToListenPort_isAPortClash() {
    assertThat(problemOf(MINIMAL + "  raft-port: 7400")).isEqualTo(new ConfigProblem("node.raft-port",
        "port 7400 is already used by node.listen; give each its own port"));
  }

  @Test
  void apiOnTheDefaultRaftPort_isAPortClash() {
    assertThat(problemOf(MINIMAL.replace("api: 10.0.0.1:8400", "api: 10.0.0.1:7401"))).isEqualTo(new ConfigProblem(
        "node.api", "port 7401 is already used by the raft port (node.raft-port, by default the node.listen port + 1); "
            + "give each its own port"));
  }

  @Test
  void apiOnWildcardHost_clashesWithListenOnTheSamePort() {
    assertThat(problemOf(MINIMAL.replace("api: 10.0.0.1:8400", "api: 0.0.0.0:7400")).path()).isEqualTo("node.api");
  }

  @Test
  void samePortOnDifferentHosts_isFine() throws ConfigException {
    TandemConfig c = ConfigFixtures.load(MINIMAL.replace("api: 10.0.0.1:8400", "api: 127.0.0.1:7400"));

    assertThat(c.node().api()).isEqualTo(new HostPort("127.0.0.1", 7400));
  }

  @Test
  void listenOnTheLastPort_needsAnExplicitRaftPort() {
    ConfigProblem p = problemOf(MINIMAL.replace("listen: 10.0.0.1:7400", "listen: 10.0.0.1:65535"));

    assertThat(p.path()).isEqualTo("node.raft-port");
    assertThat(p.message()).startsWith("required when node.listen uses port 65535");
  }

  @Test
  void witnessThatIsNotABoolean_asksForTrueOrFalse() {
    assertThat(problemOf(MINIMAL + "  witness: yes"))
        .isEqualTo(new ConfigProblem("node.witness", "'yes' is not true or false; write true or false"));
  }

  @Test
  void dataDirWithTilde_asksForTheFullPath() {
    assertThat(problemOf(MINIMAL + "  data-dir: ~/tandem")).isEqualTo(new ConfigProblem("node.data-dir",
        "'~/tandem': tandem does not expand '~'; write the full path, e.g. /home/tandem/data"));
  }

  @Test
  void nodeGivenAsText_saysAMapWasExpected() {
    assertThat(problemOf("cluster: shop\nnode: n1\n")).isEqualTo(new ConfigProblem("node",
        "expected a map with the keys name, listen, raft-port, api, data-dir, witness, but found 'n1'"));
  }

  @Test
  void witnessNamedInAGroup_isAnError() {
    assertThat(problemOf(MINIMAL + "  witness: true\ngroups:\n  web: { nodes: { n1: off, n2: primary } }\n"))
        .isEqualTo(new ConfigProblem("groups.web.nodes.n1", "n1 is a witness (node.witness: true): a witness only "
            + "votes and holds no group; remove it from this group or set witness: false"));
  }

  @Test
  void witnessNotNamedInAnyGroup_loads() throws ConfigException {
    TandemConfig c = ConfigFixtures.load(MINIMAL + "  witness: true\ngroups:\n  web: { nodes: { n2: primary } }\n");

    assertThat(c.node().witness()).isTrue();
  }
}
