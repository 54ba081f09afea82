package tandem.filesync;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class ExcludesTest {
  static final Excludes CONFIG = Excludes.of(List.of("*.tmp", "cache/", "/build", "**/node_modules", "logs/*.log",
      "!keep.tmp", "a/**/z", "deep/**", "[Tt]humbs.db", "file?.bak", "\\!literal"));

  @ParameterizedTest(name = "{0} (dir={1}) excluded={2}")
  @CsvSource({
      // name patterns match at any depth
      "x.tmp, false, true",
      "d/e/x.tmp, false, true",
      "x.tmpl, false, false",
      "x.tmp, true, true",
      // negation: the last match wins
      "keep.tmp, false, false",
      "d/keep.tmp, false, false",
      // trailing slash: directories only
      "cache, true, true",
      "cache, false, false",
      "d/cache, true, true",
      "cache/file, false, true",
      // leading slash: anchored at the root
      "build, true, true",
      "build, false, true",
      "build/out.o, false, true",
      "src/build, true, false",
      // ** across segments
      "node_modules, true, true",
      "web/app/node_modules, true, true",
      "web/app/node_modules/x/y.js, false, true",
      "web/node_modules_old, true, false",
      // a slash in the middle anchors too
      "logs/a.log, false, true",
      "logs/sub/a.log, false, false",
      "x/logs/a.log, false, false",
      "a/z, false, true",
      "a/b/c/z, false, true",
      "b/a/z, false, false",
      "deep/x, false, true",
      "deep/x/y, false, true",
      "deep, true, false",
      // classes, ?, escapes
      "Thumbs.db, false, true",
      "d/thumbs.db, false, true",
      "xhumbs.db, false, false",
      "file1.bak, false, true",
      "file12.bak, false, false",
      "!literal, false, true",
      "literal, false, false",
      // built-ins
      ".tandem-versions, true, true",
      ".tandem-versions/a/b, false, true",
      "d/.tandem-versions, true, false",
      ".tandem-tmp-123-f, false, true",
      "d/e/.tandem-tmp-x, false, true",
      "report.sync-conflict-20260101-120000-node2.pdf, false, true",
      "d/notes.sync-conflict-20260101-120000-n1, false, true",
      "notes.sync-conflict-2026-n1, false, false",
      // plain paths are kept
      "src/main.c, false, false",
      "src, true, false",
  })
  void table(String path, boolean isDir, boolean excluded) {
    assertThat(CONFIG.excluded(path, isDir)).isEqualTo(excluded);
  }

  @ParameterizedTest
  @ValueSource(strings = {".tandem-tmp-a", "x.sync-conflict-20260101-120000-n1"})
  void builtInsCannotBeReincluded(String name) {
    Excludes excludes = Excludes.of(List.of("!" + name, "!*"));
    assertThat(excludes.excluded(name, false)).isTrue();
    assertThat(Excludes.none().excluded(name, false)).isTrue();
    assertThat(Excludes.of(List.of("!.tandem-versions")).excluded(".tandem-versions", true)).isTrue();
  }

  @ParameterizedTest
  @ValueSource(strings = {"cache/file", "cache/sub/file"})
  void underAnExcludedDir_aLaterNegationCannotReinclude(String path) {
    Excludes excludes = Excludes.of(List.of("cache/", "!cache/file", "!cache/sub/file"));
    assertThat(excludes.excluded(path, false)).isTrue();
    assertThat(excludes.excludedHere(path, false)).isFalse(); // the walk never gets here
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "!", "/", "!/", "a//b", "x[ab", "trailing\\"})
  void badPattern_isRejected_namingIt(String pattern) {
    assertThatThrownBy(() -> Excludes.of(List.of("*.ok", pattern)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("\"" + pattern + "\"");
  }
}
