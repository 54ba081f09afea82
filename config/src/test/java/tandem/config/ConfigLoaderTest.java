package tandem.config;

import static org.assertj.core.api.Assertions.assertThat;
import static tandem.config.ConfigFixtures.FILE;
import static tandem.config.ConfigFixtures.MINIMAL;
import static tandem.config.ConfigFixtures.load;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import tandem.core.Mode;
import tandem.core.NodeName;

class ConfigLoaderTest {
  private static final NodeName N1 = new NodeName("n1");
  private static final NodeName N2 = new NodeName("n2");
  private static final NodeName N3 = new NodeName("n3");

  private static final String EVERY_KEY = """
      cluster: shop
      node:
        name: n1
        listen: 10.0.0.1:7400
        raft-port: 7500
        api: 10.0.0.1:8400
        data-dir: ./state/../data
        witness: false
      failover:
        lease: 3s
        renew-interval: 500ms
        promote-margin: 250ms
      groups:
        web:
          failback: auto
          failback-after: 1m30s
          nodes: { n1: primary, n2: active, n3: off }
          resources:
            - service: { start: "systemctl start nginx", stop: "systemctl stop nginx", check: "curl -fs localhost", timeout: 20s }
          checks:
            - http: { url: "https://127.0.0.1:8443/health", expect-status: 200, expect-body: ok, insecure: true }
              name: web-health
              on: node
              interval: 2s
              timeout: 500ms
              fall: 4
              rise: 5
              weight: -20
              critical: false
              fix: systemctl restart nginx
              fix-attempts: 7
            - tcp: 127.0.0.1:5432
              critical: true
            - command: pg_isready -q
            - process: { pidfile: /run/nginx.pid }
            - process: nginx
            - process: { name: postgres }
            - disk: { path: /var/lib, min-free: 1GiB }
            - disk: { path: logs, min-free: 10% }
          on-promote: /etc/tandem/hooks/promote.sh
          on-demote: /etc/tandem/hooks/demote.sh
          hook-timeout: 45s
        db:
          nodes: { n2: primary, n1: passive }
      """;

  @Test
  void fileWithEveryKey_readsIntoExactRecords() throws ConfigException {
    TandemConfig c = load(EVERY_KEY);

    assertThat(c.cluster()).isEqualTo("shop");
    assertThat(c.file()).isEqualTo(FILE);
    assertThat(c.node()).isEqualTo(new NodeConfig(N1, HostPort.parse("10.0.0.1:7400"), HostPort.parse("10.0.0.1:7500"),
        HostPort.parse("10.0.0.1:8400"), Path.of("/etc/tandem/data"), false));
    assertThat(c.failover()).isEqualTo(
        new FailoverSettings(Duration.ofSeconds(3), Duration.ofMillis(500), Duration.ofMillis(250)));
    assertThat(c.groups()).containsOnlyKeys("web", "db");
    GroupConfig web = c.groups().get("web");
    assertThat(web.name()).isEqualTo("web");
    assertThat(web.failback()).isEqualTo(Failback.AUTO);
    assertThat(web.failbackAfter()).isEqualTo(Duration.ofSeconds(90));
    assertThat(web.nodes()).containsExactly(Map.entry(N1, Mode.PRIMARY), Map.entry(N2, Mode.ACTIVE),
        Map.entry(N3, Mode.OFF));
    assertThat(web.resources()).containsExactly(new ServiceConfig("systemctl start nginx", "systemctl stop nginx",
        Optional.of("curl -fs localhost"), Duration.ofSeconds(20)));
    assertThat(web.onPromote()).contains("/etc/tandem/hooks/promote.sh");
    assertThat(web.onDemote()).contains("/etc/tandem/hooks/demote.sh");
    assertThat(web.hookTimeout()).isEqualTo(Duration.ofSeconds(45));
  }

  @Test
  void fileWithEveryKey_readsEveryCheckKind() throws ConfigException {
    List<CheckConfig> checks = load(EVERY_KEY).groups().get("web").checks();

    assertThat(checks).hasSize(8);
    assertThat(checks.get(0)).isEqualTo(new CheckConfig("web-health",
        new CheckTarget.Http(URI.create("https://127.0.0.1:8443/health"), 200, Optional.of("ok"), true),
        CheckScope.NODE, Duration.ofSeconds(2), Duration.ofMillis(500), 4, 5, -20, false,
        Optional.of("systemctl restart nginx"), 7));
    assertThat(checks.get(1)).isEqualTo(new CheckConfig("tcp:127.0.0.1:5432",
        new CheckTarget.Tcp(new HostPort("127.0.0.1", 5432)), CheckScope.SERVICE, Duration.ofSeconds(1),
        Duration.ofSeconds(1), 3, 2, 0, true, Optional.empty(), 0));
    assertThat(checks.stream().skip(2).map(CheckConfig::target)).containsExactly(
        new CheckTarget.Command("pg_isready -q"),
        new CheckTarget.Process(Optional.of(Path.of("/run/nginx.pid")), Optional.empty()),
        new CheckTarget.Process(Optional.empty(), Optional.of("nginx")),
        new CheckTarget.Process(Optional.empty(), Optional.of("postgres")),
        new CheckTarget.Disk(Path.of("/var/lib"), 1L << 30, 0),
        new CheckTarget.Disk(Path.of("/etc/tandem/logs"), 0, 10));
    assertThat(checks.stream().skip(2).map(CheckConfig::name)).containsExactly("command:pg_isready -q",
        "process:/run/nginx.pid", "process:nginx", "process:postgres", "disk:/var/lib", "disk:/etc/tandem/logs");
  }

  @Test
  void minimalFile_fillsEveryDefault() throws ConfigException {
    TandemConfig c = load(MINIMAL);

    assertThat(c.node().raft()).isEqualTo(new HostPort("10.0.0.1", 7401));
    assertThat(c.node().dataDir()).isEqualTo(Path.of("/etc/tandem/data"));
    assertThat(c.node().witness()).isFalse();
    assertThat(c.failover()).isEqualTo(FailoverSettings.DEFAULTS);
    assertThat(c.groups()).isEmpty();
  }

  @Test
  void groupWithNodesOnly_fillsGroupDefaults() throws ConfigException {
    GroupConfig g = load(ConfigFixtures.withGroup("nodes: { n1: primary, n2: passive }")).groups().get("web");

    assertThat(g).isEqualTo(new GroupConfig("web", Failback.MANUAL, Duration.ofSeconds(30),
        Map.of(N1, Mode.PRIMARY, N2, Mode.PASSIVE), List.of(), List.of(), Optional.empty(), Optional.empty(),
        Duration.ofSeconds(30)));
    assertThat(g.preferred()).contains(N1);
    assertThat(g.modeOf(N2)).isEqualTo(Mode.PASSIVE);
    assertThat(g.modeOf(N3)).isEqualTo(Mode.OFF);
  }

  @Test
  void checkWithFixOnly_triesTheFixThreeTimes() throws ConfigException {
    CheckConfig check = load(ConfigFixtures.withCheck("""
        command: "test -f /srv/ok"
        fix: "touch /srv/ok"
        """)).groups().get("web").checks().getFirst();

    assertThat(check.fix()).contains("touch /srv/ok");
    assertThat(check.fixAttempts()).isEqualTo(3);
  }

  @Test
  void plainHttpUrl_acceptsAny2xxOr3xx() throws ConfigException {
    CheckConfig check = load(ConfigFixtures.withCheck("http: http://127.0.0.1/health")).groups().get("web")
        .checks().getFirst();

    assertThat(check.name()).isEqualTo("http:http://127.0.0.1/health");
    assertThat(check.target()).isEqualTo(
        new CheckTarget.Http(URI.create("http://127.0.0.1/health"), 0, Optional.empty(), false));
  }

  @Test
  void serviceWithoutTimeout_waitsSixtySeconds() throws ConfigException {
    ResourceConfig r = load(ConfigFixtures.withGroup("""
        nodes: { n1: primary }
        resources:
          - service: { start: "docker compose up -d", stop: "docker compose down" }
        """)).groups().get("web").resources().getFirst();

    assertThat(r.kind()).isEqualTo("service");
    assertThat(r).isEqualTo(new ServiceConfig("docker compose up -d", "docker compose down", Optional.empty(),
        Duration.ofSeconds(60)));
  }

  @Test
  void scalars_keepTheirWrittenText() throws ConfigException {
    TandemConfig c = load("""
        cluster: 0123
        node:
          name: no
          listen: 10.0.0.1:7400
          api: 10.0.0.1:8400
          witness: true
        """);

    assertThat(c.cluster()).isEqualTo("0123");
    assertThat(c.node().name()).isEqualTo(new NodeName("no"));
    assertThat(c.node().witness()).isTrue();
  }

  @Test
  void groups_keepFileOrderAndCannotBeChanged() throws ConfigException {
    TandemConfig c = load(MINIMAL + """
        groups:
          zeta: { nodes: { n1: primary } }
          alpha: { nodes: { n1: active } }
          mid: { nodes: { n1: passive } }
        """);

    assertThat(c.groups().keySet()).containsExactly("zeta", "alpha", "mid");
    assertThat(c.groups()).isUnmodifiable();
    assertThat(c.groups().get("alpha").nodes()).isUnmodifiable();
  }

  @Test
  void ipv6Addresses_loadInBrackets() throws ConfigException {
    NodeConfig node = load("""
        cluster: shop
        node:
          name: n1
          listen: "[::1]:7400"
          api: "[::1]:8400"
        """).node();

    assertThat(node.listen()).isEqualTo(new HostPort("::1", 7400));
    assertThat(node.raft()).hasToString("[::1]:7401");
  }

  @Test
  void absoluteDataDir_isKeptAndNormalized() throws ConfigException {
    TandemConfig c = load(MINIMAL.replace("  api:", "  data-dir: /var/lib/tandem/./x/..\n  api:"));

    assertThat(c.node().dataDir()).isEqualTo(Path.of("/var/lib/tandem"));
  }

  @Test
  void relativeConfigPath_isMadeAbsolute() throws ConfigException {
    TandemConfig c = ConfigLoader.parse(MINIMAL, Path.of("conf/../tandem.yaml"));

    assertThat(c.file()).isEqualTo(Path.of("tandem.yaml").toAbsolutePath());
    assertThat(c.node().dataDir()).isEqualTo(Path.of("data").toAbsolutePath());
  }
}
