package tandem.config;

import static org.assertj.core.api.Assertions.assertThat;
import static tandem.config.ConfigFixtures.MINIMAL;
import static tandem.config.ConfigFixtures.problemOf;

import org.junit.jupiter.api.Test;

class YamlSyntaxTest {

  @Test
  void syntaxError_givesLineAndColumn() {
    assertThat(problemOf("cluster: shop\nnode:\n  name: n1: n2\n")).isEqualTo(new ConfigProblem("",
        "YAML syntax error at line 3, column 11: mapping values are not allowed here (put a value that contains ': ' "
            + "in quotes, or check the indentation of the line above)"));
  }

  @Test
  void tabIndentation_isASyntaxErrorWithLine() {
    assertThat(problemOf("cluster: shop\nnode:\n\tname: n1\n").message())
        .startsWith("YAML syntax error at line 3, column 1: ").contains("Do not use \\t(TAB) for indentation");
  }

  @Test
  void unclosedBracket_isASyntaxErrorWithLine() {
    assertThat(problemOf("cluster: shop\ngroups: { web: [\n").message()).startsWith("YAML syntax error at line 3");
  }

  @Test
  void keyWrittenTwice_isRejected() {
    assertThat(problemOf("cluster: shop\ncluster: shop2\n")).isEqualTo(new ConfigProblem("",
        "YAML syntax error at line 2, column 8: key 'cluster' appears twice in the same map; keep one"));
  }

  @Test
  void emptyFile_saysWhatItNeeds() {
    assertThat(problemOf("")).isEqualTo(new ConfigProblem("",
        "the file is empty: it needs at least cluster: and node: (tandem init writes a starting file)"));
  }

  @Test
  void fileWithOnlyComments_isEmpty() {
    assertThat(problemOf("# cluster: shop\n\n").message()).startsWith("the file is empty");
  }

  @Test
  void listAtTheTop_saysAMapWasExpected() {
    assertThat(problemOf("- cluster: shop\n")).isEqualTo(new ConfigProblem("",
        "expected a map with the keys " + String.join(", ", ConfigLoader.KEYS) + ", but found a list"));
  }

  @Test
  void secondDocument_isRejected() {
    assertThat(problemOf(MINIMAL + "---\ncluster: other\n")).isEqualTo(new ConfigProblem("",
        "line 7 starts a second YAML document (after a '---' line); keep a single document"));
  }

  @Test
  void alias_isRejectedInsteadOfReadAsItsName() {
    assertThat(ConfigFixtures.problemsOf(MINIMAL + "groups:\n  web: &w { nodes: { n1: primary } }\n  db: *w\n"))
        .contains(new ConfigProblem("", "line 8: the alias '*w' is not supported; write the value out in full"));
  }
}
