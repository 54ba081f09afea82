package tandem.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.nio.file.Path;
import java.util.List;

/** Shared YAML snippets and shortcuts for the config tests. */
final class ConfigFixtures {
  static final Path FILE = Path.of("/etc/tandem/tandem.yaml");

  /** A valid file with the required keys only. */
  static final String MINIMAL = """
      cluster: shop
      node:
        name: n1
        listen: 10.0.0.1:7400
        api: 10.0.0.1:8400
      """;

  private ConfigFixtures() {}

  static TandemConfig load(String yaml) throws ConfigException {
    return ConfigLoader.parse(yaml, FILE);
  }

  /** The problems of a file that must not load. */
  static List<ConfigProblem> problemsOf(String yaml) {
    ConfigException e = catchThrowableOfType(ConfigException.class, () -> load(yaml));
    assertThat(e).as("expected %s to be rejected", yaml).isNotNull();
    return e.problems();
  }

  /** The single problem of a file that must not load. */
  static ConfigProblem problemOf(String yaml) {
    List<ConfigProblem> problems = problemsOf(yaml);
    assertThat(problems).as("problems of:%n%s", yaml).hasSize(1);
    return problems.getFirst();
  }

  /** MINIMAL plus one group "web" whose body is {@code body}, written at the group's indentation (4 spaces). */
  static String withGroup(String body) {
    return MINIMAL + "groups:\n  web:\n" + body.stripIndent().lines().map(l -> "    " + l + "\n")
        .reduce("", String::concat);
  }

  /** MINIMAL plus a group "web" on n1 and n2 with one check whose item is {@code check} (list-item indentation). */
  static String withCheck(String check) {
    String[] lines = check.stripIndent().split("\n");
    StringBuilder item = new StringBuilder("nodes: { n1: primary, n2: passive }\nchecks:\n  - " + lines[0] + "\n");
    for (int i = 1; i < lines.length; i++) {
      item.append("    ").append(lines[i]).append('\n');
    }
    return withGroup(item.toString());
  }
}
