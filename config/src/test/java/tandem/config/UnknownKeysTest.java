package tandem.config;

import static org.assertj.core.api.Assertions.assertThat;
import static tandem.config.ConfigFixtures.MINIMAL;
import static tandem.config.ConfigFixtures.problemOf;
import static tandem.config.ConfigFixtures.withCheck;

import org.junit.jupiter.api.Test;

class UnknownKeysTest {

  @Test
  void unknownKey_isNamedWithSuggestion() {
    assertThat(problemOf(MINIMAL + "  lisen: 10.0.0.1:7400\n"))
        .isEqualTo(new ConfigProblem("node.lisen", "unknown key 'lisen'; did you mean 'listen'?"));
  }

  @Test
  void camelCaseKey_suggestsTheKebabCaseKey() {
    assertThat(problemOf(MINIMAL + "failover:\n  renewInterval: 1s\n")).isEqualTo(
        new ConfigProblem("failover.renewInterval", "unknown key 'renewInterval'; did you mean 'renew-interval'?"));
  }

  @Test
  void snakeCaseKey_suggestsTheKebabCaseKey() {
    assertThat(problemOf(MINIMAL + "  data_dir: /srv\n"))
        .isEqualTo(new ConfigProblem("node.data_dir", "unknown key 'data_dir'; did you mean 'data-dir'?"));
  }

  @Test
  void unknownKeyWithNothingClose_listsTheAllowedKeys() {
    assertThat(problemOf(MINIMAL + "logging: debug\n")).isEqualTo(new ConfigProblem("logging",
        "unknown key 'logging'; the keys allowed here are " + String.join(", ", ConfigLoader.KEYS)));
    assertThat(ConfigLoader.KEYS).startsWith("cluster", "node", "failover", "groups", "log", "backups");
  }

  @Test
  void unknownKeyInAGroup_isNamedWithItsPath() {
    assertThat(problemOf(ConfigFixtures.withGroup("nodes: { n1: primary }\nfailbak: auto"))).isEqualTo(
        new ConfigProblem("groups.web.failbak", "unknown key 'failbak'; did you mean 'failback'?"));
  }

  @Test
  void unknownKeyInACheck_isNamedWithItsPath() {
    assertThat(problemOf(withCheck("tcp: 127.0.0.1:5432\nintervall: 2s"))).isEqualTo(new ConfigProblem(
        "groups.web.checks[0].intervall", "unknown key 'intervall'; did you mean 'interval'?"));
  }

  @Test
  void unknownKeyInANestedMap_isNamedWithItsPath() {
    assertThat(problemOf(withCheck("http: { url: http://127.0.0.1/, expect_body: ok }"))).isEqualTo(new ConfigProblem(
        "groups.web.checks[0].http.expect_body", "unknown key 'expect_body'; did you mean 'expect-body'?"));
  }
}
