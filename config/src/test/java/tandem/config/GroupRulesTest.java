package tandem.config;

import static org.assertj.core.api.Assertions.assertThat;
import static tandem.config.ConfigFixtures.MINIMAL;
import static tandem.config.ConfigFixtures.problemOf;
import static tandem.config.ConfigFixtures.problemsOf;
import static tandem.config.ConfigFixtures.withGroup;

import org.junit.jupiter.api.Test;

class GroupRulesTest {

  @Test
  void badGroupName_explainsTheNamingRule() {
    assertThat(problemOf(MINIMAL + "groups:\n  Web: { nodes: { n1: primary } }\n")).isEqualTo(new ConfigProblem(
        "groups.Web", "'Web' is not a valid group name: use 1-63 lower-case letters, digits or '-', starting with a "
            + "letter or digit"));
  }

  @Test
  void groupWithoutNodes_isRequiredWithExample() {
    assertThat(problemOf(withGroup("failback: manual"))).isEqualTo(new ConfigProblem("groups.web.nodes",
        "required: the nodes that may run this group and their modes, e.g. nodes: { n1: primary, n2: passive }"));
  }

  @Test
  void emptyNodesMap_asksForAtLeastOneNode() {
    assertThat(problemOf(withGroup("nodes: {}"))).isEqualTo(new ConfigProblem("groups.web.nodes",
        "lists no node; give at least one, e.g. nodes: { n1: primary, n2: passive }"));
  }

  @Test
  void nodesGivenAsList_saysAMapOfModesWasExpected() {
    assertThat(problemOf(withGroup("nodes: [n1, n2]"))).isEqualTo(new ConfigProblem("groups.web.nodes",
        "expected a map of node name to mode, e.g. nodes: { n1: primary, n2: passive }, but found a list"));
  }

  @Test
  void allNodesOff_meansNoNodeMayRunTheGroup() {
    assertThat(problemOf(withGroup("nodes: { n1: off, n2: off }"))).isEqualTo(new ConfigProblem("groups.web.nodes",
        "no node may run this group (all are off); give at least one node mode primary, active or passive"));
  }

  @Test
  void twoPrimaryNodes_areRejected() {
    assertThat(problemOf(withGroup("nodes: { n1: primary, n2: primary, n3: passive }"))).isEqualTo(new ConfigProblem(
        "groups.web.nodes", "n1 and n2 are both primary; at most one node may be primary (the preferred one): make "
            + "the others active or passive"));
  }

  @Test
  void unknownModeWord_listsTheValidModes() {
    assertThat(problemOf(withGroup("nodes: { n1: primary, n2: standby }"))).isEqualTo(new ConfigProblem(
        "groups.web.nodes.n2", "'standby' is not a mode: use primary, active, passive or off"));
  }

  @Test
  void badNodeNameInNodes_isNamedAtItsKey() {
    assertThat(problemOf(withGroup("nodes: { n1: primary, DB2: passive }")).path()).isEqualTo("groups.web.nodes.DB2");
  }

  @Test
  void unknownFailbackWord_listsTheChoices() {
    assertThat(problemOf(withGroup("nodes: { n1: primary }\nfailback: sometimes"))).isEqualTo(new ConfigProblem(
        "groups.web.failback", "'sometimes' is not a failback mode: use manual or auto"));
  }

  @Test
  void badHookTimeout_usesTheDurationParsersMessage() {
    assertThat(problemOf(withGroup("nodes: { n1: primary }\nhook-timeout: 30"))).isEqualTo(new ConfigProblem(
        "groups.web.hook-timeout", "'30' is not a duration: write e.g. 500ms, 2s, 1m30s, 1h, 14d"));
  }

  @Test
  void blankHook_isRejected() {
    assertThat(problemOf(withGroup("nodes: { n1: primary }\non-promote: \"  \""))).isEqualTo(new ConfigProblem(
        "groups.web.on-promote", "is blank; give a value or remove the key"));
  }

  @Test
  void serviceWithoutStop_isRequiredWithExample() {
    assertThat(problemOf(withGroup("nodes: { n1: primary }\nresources:\n  - service: { start: run.sh }")))
        .isEqualTo(new ConfigProblem("groups.web.resources[0].service.stop",
            "required: the command that stops the service, e.g. stop: systemctl stop nginx"));
  }

  @Test
  void misspeltResourceKind_isNamedWithSuggestion() {
    assertThat(problemOf(withGroup("nodes: { n1: primary }\nresources:\n  - servise: { start: a, stop: b }")))
        .isEqualTo(new ConfigProblem("groups.web.resources[0].servise",
            "unknown key 'servise'; did you mean 'service'?"));
  }

  @Test
  void resourceWithoutKind_saysWhichKindsExist() {
    assertThat(problemOf(withGroup("nodes: { n1: primary }\nresources:\n  - {}"))).isEqualTo(new ConfigProblem(
        "groups.web.resources[0]", "say which kind of resource this is with one of the keys service, files, postgres or mariadb, e.g. "
            + "- service: { start: systemctl start nginx, stop: systemctl stop nginx }"));
  }

  @Test
  void resourcesGivenAsMap_saysAListWasExpected() {
    assertThat(problemOf(withGroup("nodes: { n1: primary }\nresources: { service: { start: a, stop: b } }")))
        .isEqualTo(new ConfigProblem("groups.web.resources",
            "expected a list (one item per line, starting with '- '), but found a map"));
  }

  @Test
  void problemsInTwoGroups_areAllReported() {
    String yaml = MINIMAL + """
        groups:
          web: { nodes: { n1: off } }
          db: { nodes: { n1: primary, n2: primary } }
        """;

    assertThat(problemsOf(yaml)).extracting(ConfigProblem::path).containsExactly("groups.web.nodes", "groups.db.nodes");
  }

  @Test
  void groupRules_stillRunWhenACheckIsWrong() {
    String yaml = withGroup("""
        nodes: { n1: primary, n2: primary }
        checks:
          - tcp: nowhere
        """);

    assertThat(problemsOf(yaml)).extracting(ConfigProblem::path)
        .containsExactly("groups.web.checks[0].tcp", "groups.web.nodes");
  }
}
