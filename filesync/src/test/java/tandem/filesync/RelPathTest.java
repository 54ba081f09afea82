package tandem.filesync;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import tandem.filesync.HostilePathException.Problem;

class RelPathTest {
  @Test
  void canonicalPathsPassUnchanged() throws Exception {
    for (String ok : new String[] {"a", "a/b/c.txt", ".bashrc", "..hidden", "a/...", "é/日本/🎉.txt", "a\\b", "new\nline",
        "x/.tandem-versions", "tandem-tmp-x", ".tandem-versionsX/y"}) {
      assertThat(RelPath.check(ok)).isEqualTo(ok);
    }
  }

  @Test
  void eachProblemIsNamed() {
    refused("", Problem.EMPTY);
    refused(null, Problem.EMPTY);
    refused("/etc/passwd", Problem.ABSOLUTE);
    refused("a/", Problem.TRAILING_SLASH);
    refused("a//b", Problem.EMPTY_SEGMENT);
    refused("..", Problem.DOT_SEGMENT);
    refused("a/../../x", Problem.DOT_SEGMENT);
    refused("./a", Problem.DOT_SEGMENT);
    refused("a/\0/b", Problem.NUL);
    refused("a\ud800b", Problem.BAD_UTF16);
    refused("a\udc00", Problem.BAD_UTF16);
    refused("a".repeat(256), Problem.SEGMENT_TOO_LONG);
    refused("é".repeat(128), Problem.SEGMENT_TOO_LONG); // 256 bytes in 128 chars
    refused(("a".repeat(200) + "/").repeat(21) + "a", Problem.PATH_TOO_LONG);
    refused(".tandem-versions/a", Problem.RESERVED);
    refused(".tandem-versions", Problem.RESERVED);
    refused("a/.tandem-tmp-x-1234", Problem.RESERVED);
  }

  @Test
  void segmentOf255BytesIsTheLimitNotOver() throws Exception {
    assertThat(RelPath.check("a".repeat(255))).hasSize(255);
  }

  @Test
  void linkTargetsMayPointAnywhereButNotHoldNul() throws Exception {
    assertThat(RelPath.checkLinkTarget("l", "/etc/passwd")).isEqualTo("/etc/passwd");
    assertThat(RelPath.checkLinkTarget("l", "../../x")).isEqualTo("../../x");
    assertThatThrownBy(() -> RelPath.checkLinkTarget("l", "")).hasMessageContaining(Problem.EMPTY.text());
    assertThatThrownBy(() -> RelPath.checkLinkTarget("l", "a\0b")).hasMessageContaining(Problem.NUL.text());
  }

  @Test
  void quoteKeepsAControlCharacterFromForgingALogLine() {
    assertThat(RelPath.quote("a\nb\u001b\"é🎉\ud800")).isEqualTo("\"a\\x0ab\\x1b\\\"é🎉\\xd800\"");
  }

  private static void refused(String path, Problem problem) {
    assertThatThrownBy(() -> RelPath.check(path))
        .isInstanceOfSatisfying(HostilePathException.class, e -> assertThat(e.problem()).isEqualTo(problem))
        .hasMessageContaining(problem.text());
  }
}
