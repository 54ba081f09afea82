package tandem.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tandem.core.Mode;
import tandem.core.NodeName;

class ConfigWriterTest {
  private static final InitOptions OPTIONS = new InitOptions("shop", new NodeName("n1"),
      HostPort.parse("10.0.0.1:7400"), HostPort.parse("10.0.0.1:8400"), Path.of("/var/lib/tandem"), false);

  @TempDir
  Path dir;

  @Test
  void initialFile_loadsBackWithTheGivenValuesAndNoGroups() throws IOException, ConfigException {
    Path file = dir.resolve("tandem.yaml");

    ConfigWriter.writeInitial(file, OPTIONS);
    TandemConfig c = ConfigLoader.load(file);

    assertThat(c.cluster()).isEqualTo("shop");
    assertThat(c.node()).isEqualTo(new NodeConfig(new NodeName("n1"), HostPort.parse("10.0.0.1:7400"),
        HostPort.parse("10.0.0.1:7401"), HostPort.parse("10.0.0.1:8400"), Path.of("/var/lib/tandem"), false));
    assertThat(c.failover()).isEqualTo(FailoverSettings.DEFAULTS);
    assertThat(c.groups()).isEmpty();
  }

  @Test
  void initialFile_commentsTheFailoverDefaults() throws IOException {
    Path file = dir.resolve("tandem.yaml");

    ConfigWriter.writeInitial(file, OPTIONS);

    assertThat(Files.readString(file)).contains("# failover:", "#   lease: 2s", "#   renew-interval: 400ms",
        "#   promote-margin: 300ms", "# groups:");
  }

  @Test
  void exampleGroup_loadsOnceUncommented() throws ConfigException {
    String text = ConfigWriter.render(OPTIONS);
    int groups = text.indexOf("# groups:");
    String uncommented = text.substring(0, groups) + text.substring(groups).replaceAll("(?m)^# ", "");

    GroupConfig web = ConfigLoader.parse(uncommented, dir.resolve("tandem.yaml")).groups().get("web");

    assertThat(web.modeOf(new NodeName("n1"))).isEqualTo(Mode.PRIMARY);
    assertThat(web.resources()).extracting(ResourceConfig::kind).containsExactly("files", "service");
    assertThat(web.checks()).extracting(CheckConfig::name)
        .containsExactly("http:http://127.0.0.1/health", "tcp:127.0.0.1:5432", "disk:/var/lib");
    assertThat(web.hookTimeout()).isEqualTo(Duration.ofSeconds(30));
  }

  @Test
  void relativeDataDirAndIpv6_loadBack() throws IOException, ConfigException {
    Path file = dir.resolve("conf/tandem.yaml");
    InitOptions o = new InitOptions("shop", new NodeName("w1"), HostPort.parse("[::1]:7400"),
        HostPort.parse("[::1]:8400"), Path.of("my data"), true);

    ConfigWriter.writeInitial(file, o);
    NodeConfig node = ConfigLoader.load(file).node();

    assertThat(node.listen()).isEqualTo(new HostPort("::1", 7400));
    assertThat(node.dataDir()).isEqualTo(dir.resolve("conf/my data"));
    assertThat(node.witness()).isTrue();
    assertThat(Files.readString(file)).doesNotContain("# groups:");
  }

  @Test
  void existingFile_isNeverOverwritten() throws IOException {
    Path file = dir.resolve("tandem.yaml");
    Files.writeString(file, "mine");

    assertThatThrownBy(() -> ConfigWriter.writeInitial(file, OPTIONS)).isInstanceOf(IOException.class)
        .hasMessage(file + " already exists; tandem init never overwrites a config. Edit it, or move it away and run "
            + "tandem init again.");
    assertThat(Files.readString(file)).isEqualTo("mine");
  }

  @Test
  void optionsThatCannotLoad_writeNothing() {
    Path file = dir.resolve("tandem.yaml");
    InitOptions clash = new InitOptions("shop", new NodeName("n1"), HostPort.parse("10.0.0.1:7400"),
        HostPort.parse("10.0.0.1:7400"), Path.of("data"), false);

    assertThatIllegalArgumentException().isThrownBy(() -> ConfigWriter.writeInitial(file, clash))
        .withMessageContaining("node.api: port 7400 is already used by node.listen");
    assertThat(file).doesNotExist();
  }

  @Test
  void valuesNeedingQuotes_areQuoted() {
    assertThat(ConfigWriter.quote("/var/lib/tandem")).isEqualTo("/var/lib/tandem");
    assertThat(ConfigWriter.quote("[::1]:7400")).isEqualTo("\"[::1]:7400\"");
    assertThat(ConfigWriter.quote("a \"b\" # c")).isEqualTo("\"a \\\"b\\\" # c\"");
  }
}
