package tandem.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static tandem.config.ConfigFixtures.problemsOf;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class SeveralProblemsTest {
  private static final String BROKEN = """
      cluster: shop
      node:
        name: n1
        listen: 10.0.0.1:7400
        api: 10.0.0.1:7400
        colour: blue
      failover:
        lease: 1s
      groups:
        web:
          nodes: { n1: off }
          checks:
            - tcp: 127.0.0.1:5432
              interval: abc
            - command: "true"
              critical: true
              weight: 10
      """;

  @Test
  void everyProblem_isReportedTogether() {
    assertThat(problemsOf(BROKEN)).extracting(ConfigProblem::path).containsExactly(
        "node.colour",
        "node.api",
        "failover.lease",
        "groups.web.checks[0].interval",
        "groups.web.checks[1].critical",
        "groups.web.nodes");
  }

  @Test
  void exceptionMessage_listsEveryProblemUnderTheFile() {
    ConfigException e = catchThrowableOfType(ConfigException.class,
        () -> ConfigLoader.parse("cluster: Shop\nnode: {}\n", Path.of("/etc/tandem/tandem.yaml")));

    assertThat(e.file()).isEqualTo(Path.of("/etc/tandem/tandem.yaml"));
    assertThat(e.getMessage()).isEqualTo("""
        /etc/tandem/tandem.yaml has 4 problems:
          - cluster: 'Shop' is not a valid cluster name: use 1-63 lower-case letters, digits or '-', starting with \
        a letter or digit
          - node.name: required: this node's name, unique in the cluster, e.g. name: n1
          - node.listen: required: the address other agents reach this node on, e.g. listen: 10.0.0.1:7400
          - node.api: required: the address of the REST API, e.g. api: 10.0.0.1:8400""");
  }

  @Test
  void singleProblem_isWordedInTheSingular() {
    ConfigException e = new ConfigException(Path.of("t.yaml"), List.of(new ConfigProblem("cluster", "required")));

    assertThat(e.getMessage()).isEqualTo("t.yaml has 1 problem:\n  - cluster: required");
  }

  @Test
  void problemWithoutPath_printsJustTheMessage() {
    assertThat(new ConfigProblem("", "the file is empty")).hasToString("the file is empty");
  }
}
