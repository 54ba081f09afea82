package tandem.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import tandem.core.Mode;
import tandem.core.NodeName;

class ConfigValidatorTest {
  private static final NodeName N1 = new NodeName("n1");
  private static final NodeConfig NODE = new NodeConfig(N1, HostPort.parse("10.0.0.1:7400"),
      HostPort.parse("10.0.0.1:7401"), HostPort.parse("10.0.0.1:8400"), Path.of("/var/lib/tandem"), false);

  private static CheckConfig check(String name, Duration timeout) {
    return new CheckConfig(name, new CheckTarget.Command("true"), CheckScope.SERVICE, Duration.ofSeconds(1), timeout,
        3, 2, 0, false, Optional.empty(), 0);
  }

  private static TandemConfig config(NodeConfig node, FailoverSettings failover, GroupConfig group) {
    return new TandemConfig("shop", node, failover, Map.of(group.name(), group), Path.of("/etc/tandem/tandem.yaml"));
  }

  private static GroupConfig group(Map<NodeName, Mode> nodes, List<CheckConfig> checks) {
    return new GroupConfig("web", Failback.MANUAL, Duration.ofSeconds(30), nodes, List.of(), checks, Optional.empty(),
        Optional.empty(), Duration.ofSeconds(30));
  }

  @Test
  void configBuiltInCode_getsTheSameCrossFieldRules() {
    TandemConfig c = config(NODE, new FailoverSettings(Duration.ofSeconds(1), Duration.ofSeconds(1), Duration.ZERO),
        group(Map.of(N1, Mode.OFF), List.of(check("a", Duration.ofSeconds(1)), check("b", Duration.ofSeconds(2)),
            check("a", Duration.ofSeconds(1)))));

    assertThat(ConfigValidator.validate(c)).extracting(ConfigProblem::path).containsExactly("failover.lease",
        "groups.web.nodes", "groups.web.checks[1].timeout", "groups.web.checks[2].name");
  }

  @Test
  void validConfigBuiltInCode_hasNoProblems() {
    TandemConfig c = config(NODE, FailoverSettings.DEFAULTS,
        group(Map.of(N1, Mode.PRIMARY), List.of(check("a", Duration.ofMillis(500)))));

    assertThat(ConfigValidator.validate(c)).isEmpty();
  }

  @Test
  void fixWithZeroAttempts_isRejected() {
    CheckConfig c = new CheckConfig("a", new CheckTarget.Command("true"), CheckScope.NODE, Duration.ofSeconds(1),
        Duration.ofSeconds(1), 3, 2, 0, false, Optional.of("fix.sh"), 0);
    Problems problems = new Problems();

    ConfigValidator.check(c, "x", problems);

    assertThat(problems.list())
        .containsExactly(new ConfigProblem("x.fix-attempts", "must be from 1 to 100 when fix is set"));
  }
}
