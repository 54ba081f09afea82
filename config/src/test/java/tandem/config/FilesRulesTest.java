package tandem.config;

import static org.assertj.core.api.Assertions.assertThat;
import static tandem.config.ConfigFixtures.load;
import static tandem.config.ConfigFixtures.problemOf;
import static tandem.config.ConfigFixtures.withGroup;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class FilesRulesTest {

  @Test
  void fullFilesResource_readsEveryKey() throws Exception {
    TandemConfig c = load(withGroup("""
        nodes: { n1: primary }
        resources:
          - files:
              path: /var/www/uploads
              exclude: ["*.tmp", "cache/"]
              owner: www-data:www-data
              versions: { keep: 14d }
              rescan: 30m
        """));
    assertThat(c.groups().get("web").resources()).containsExactly(new FilesConfig(Path.of("/var/www/uploads"),
        List.of("*.tmp", "cache/"), Optional.of("www-data:www-data"), Optional.of(Duration.ofDays(14)),
        Duration.ofMinutes(30)));
  }

  @Test
  void pathOnly_usesDefaults() throws Exception {
    TandemConfig c = load(withGroup("nodes: { n1: primary }\nresources:\n  - files: { path: /srv/data/ }"));
    assertThat(c.groups().get("web").resources()).containsExactly(new FilesConfig(Path.of("/srv/data"), List.of(),
        Optional.empty(), Optional.empty(), FilesConfig.DEFAULT_RESCAN));
  }

  @Test
  void relativePath_asksForAnAbsoluteOne() {
    assertThat(problemOf(withGroup("nodes: { n1: primary }\nresources:\n  - files: { path: uploads }")))
        .isEqualTo(new ConfigProblem("groups.web.resources[0].files.path",
            "'uploads' is relative; write the absolute path of the directory, e.g. /var/www/uploads"));
  }

  @Test
  void missingPath_isRequiredWithExample() {
    assertThat(problemOf(withGroup("nodes: { n1: primary }\nresources:\n  - files: { exclude: [a] }")))
        .isEqualTo(new ConfigProblem("groups.web.resources[0].files.path",
            "required: the directory to replicate, e.g. path: /var/www/uploads"));
  }

  @Test
  void misspeltKey_isNamedWithSuggestion() {
    assertThat(problemOf(withGroup("nodes: { n1: primary }\nresources:\n  - files: { path: /a, exlude: [x] }")))
        .isEqualTo(new ConfigProblem("groups.web.resources[0].files.exlude", "unknown key 'exlude'; did you mean 'exclude'?"));
  }

  @Test
  void versionsWithoutKeep_saysWhatKeepMeans() {
    assertThat(problemOf(withGroup("nodes: { n1: primary }\nresources:\n  - files: { path: /a, versions: {} }")))
        .isEqualTo(new ConfigProblem("groups.web.resources[0].files.versions.keep",
            "required: how long replaced and deleted files are kept, e.g. versions: { keep: 14d }"));
  }

  @Test
  void badOwner_showsTheForm() {
    assertThat(problemOf(withGroup("nodes: { n1: primary }\nresources:\n  - files: { path: /a, owner: \"www data\" }")))
        .isEqualTo(new ConfigProblem("groups.web.resources[0].files.owner",
            "'www data' is not user:group; write e.g. owner: www-data:www-data"));
  }

  @Test
  void nestedDirectories_overlap() {
    String yaml = withGroup("nodes: { n1: primary }\nresources:\n  - files: { path: /srv/a }\n  - files: { path: /srv/a/b }");
    assertThat(problemOf(yaml)).isEqualTo(new ConfigProblem("groups.web.resources[1].files.path",
        "/srv/a/b overlaps /srv/a (groups.web.resources[0].files.path); each replicated directory must stand on its own:"
            + " neither may contain the other"));
  }
}
