package tandem.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import tandem.core.Mode;
import tandem.core.NodeName;

class RecordsTest {

  @Test
  void groupConfig_copiesItsCollections() {
    Map<NodeName, Mode> nodes = new LinkedHashMap<>(Map.of(new NodeName("n1"), Mode.PRIMARY));
    List<CheckConfig> checks = new ArrayList<>();
    GroupConfig g = new GroupConfig("web", Failback.MANUAL, Duration.ZERO, nodes, List.of(), checks, Optional.empty(),
        Optional.empty(), Duration.ofSeconds(1));

    nodes.put(new NodeName("n2"), Mode.ACTIVE);

    assertThat(g.nodes()).containsOnlyKeys(new NodeName("n1"));
    assertThat(g.checks()).isUnmodifiable();
  }

  @Test
  void groupConfig_withoutNodes_isRejected() {
    assertThatIllegalArgumentException().isThrownBy(() -> new GroupConfig("web", Failback.AUTO, Duration.ZERO,
        Map.of(), List.of(), List.of(), Optional.empty(), Optional.empty(), Duration.ofSeconds(1)));
  }

  @Test
  void checkConfig_rejectsOutOfRangeFields() {
    assertThatIllegalArgumentException().isThrownBy(() -> new CheckConfig("a", new CheckTarget.Command("x"),
        CheckScope.NODE, Duration.ofSeconds(1), Duration.ofSeconds(1), 0, 1, 0, false, Optional.empty(), 0))
        .withMessage("fall must be 1..2147483647, not 0");
  }

  @Test
  void processTarget_needsExactlyOneWayToFindTheProcess() {
    assertThatIllegalArgumentException().isThrownBy(() -> new CheckTarget.Process(Optional.empty(), Optional.empty()));
    assertThatIllegalArgumentException().isThrownBy(
        () -> new CheckTarget.Process(Optional.of(Path.of("/run/a.pid")), Optional.of("a")));
  }

  @Test
  void diskTarget_needsALimit() {
    assertThatIllegalArgumentException().isThrownBy(() -> new CheckTarget.Disk(Path.of("/"), 0, 0));
  }

  @Test
  void targets_nameTheirKind() {
    assertThat(List.of(new CheckTarget.Tcp(new HostPort("h", 1)),
        new CheckTarget.Http(URI.create("http://h/"), 0, Optional.empty(), false), new CheckTarget.Command("x"),
        new CheckTarget.Process(Optional.empty(), Optional.of("x")), new CheckTarget.Disk(Path.of("/"), 1, 0)))
        .extracting(CheckTarget::kind).containsExactly("tcp", "http", "command", "process", "disk");
  }

  @Test
  void failoverDefaults_areTwoSecondLeaseRenewedEvery400ms() {
    assertThat(FailoverSettings.DEFAULTS).isEqualTo(
        new FailoverSettings(Duration.ofSeconds(2), Duration.ofMillis(400), Duration.ofMillis(300)));
  }
}
