package tandem.config;

import static org.assertj.core.api.Assertions.assertThat;
import static tandem.config.ConfigFixtures.load;
import static tandem.config.ConfigFixtures.problemOf;
import static tandem.config.ConfigFixtures.problemsOf;
import static tandem.config.ConfigFixtures.withGroup;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class PostgresRulesTest {
  private static final String NODES = "nodes: { n1: primary }\nresources:\n";

  @Test
  void fullPostgresResource_readsEveryKey() throws Exception {
    TandemConfig c = load(withGroup(NODES + """
          - postgres:
              bin: /usr/lib/postgresql/15/bin
              data: /var/lib/tandem/pg
              port: 5433
              synchronous: quorum-2
              synchronous-fallback: 10s
              max-lag-on-failover: 32MB
              parameters: { max_connections: 200, shared_buffers: 256MB }
              user: pg
        """));
    assertThat(c.groups().get("web").resources()).containsExactly(new PostgresConfig(
        Optional.of(Path.of("/usr/lib/postgresql/15/bin")), Path.of("/var/lib/tandem/pg"), 5433,
        PostgresConfig.Synchronous.QUORUM_2, Optional.of(Duration.ofSeconds(10)), 32_000_000L,
        Map.of("max_connections", "200", "shared_buffers", "256MB"), "pg"));
  }

  @Test
  void dataOnly_usesDefaults() throws Exception {
    TandemConfig c = load(withGroup(NODES + "  - postgres: { data: /srv/pg }"));
    assertThat(c.groups().get("web").resources()).containsExactly(new PostgresConfig(Optional.empty(),
        Path.of("/srv/pg"), 5432, PostgresConfig.Synchronous.OFF, Optional.empty(), 16L << 20, Map.of(), "postgres"));
  }

  @Test
  void bareOnAndOff_readAsModes_blockMeansNoFallback() throws Exception {
    TandemConfig c = load(withGroup(NODES + "  - postgres: { data: /srv/pg, synchronous: on, synchronous-fallback: block }"));
    PostgresConfig p = (PostgresConfig) c.groups().get("web").resources().getFirst();
    assertThat(p.synchronous()).isEqualTo(PostgresConfig.Synchronous.ON);
    assertThat(p.synchronousFallback()).isEmpty();
  }

  @Test
  void missingData_isRequiredWithExample() {
    assertThat(problemOf(withGroup(NODES + "  - postgres: { port: 5432 }")))
        .isEqualTo(new ConfigProblem("groups.web.resources[0].postgres.data",
            "required: the server's data directory, e.g. data: /var/lib/tandem/pg"));
  }

  @Test
  void relativeData_asksForAnAbsolutePath() {
    assertThat(problemOf(withGroup(NODES + "  - postgres: { data: pg }")))
        .isEqualTo(new ConfigProblem("groups.web.resources[0].postgres.data",
            "'pg' is relative; write an absolute path, e.g. /var/lib/tandem/pg"));
  }

  @Test
  void protectedParameter_isRefusedNamingTheKeyAndTheFix() {
    assertThat(problemOf(withGroup(NODES + "  - postgres: { data: /srv/pg, parameters: { port: 5433 } }")))
        .isEqualTo(new ConfigProblem("groups.web.resources[0].postgres.parameters.port",
            "'port' is set by tandem itself (where the server listens, how it replicates, its TLS); remove it from"
                + " parameters and use postgres.port instead"));
  }

  @Test
  void everyProtectedParameter_isReportedOnce() {
    assertThat(problemsOf(withGroup(NODES + "  - postgres: { data: /srv/pg, parameters: { wal_level: logical,"
        + " primary_conninfo: x, synchronous_standby_names: '*', ssl_cert_file: /a, work_mem: 4MB } }")))
        .extracting(ConfigProblem::path).containsExactly(
            "groups.web.resources[0].postgres.parameters.wal_level",
            "groups.web.resources[0].postgres.parameters.primary_conninfo",
            "groups.web.resources[0].postgres.parameters.synchronous_standby_names",
            "groups.web.resources[0].postgres.parameters.ssl_cert_file");
  }

  @Test
  void unknownSynchronousMode_listsTheModes() {
    assertThat(problemOf(withGroup(NODES + "  - postgres: { data: /srv/pg, synchronous: always }")))
        .isEqualTo(new ConfigProblem("groups.web.resources[0].postgres.synchronous",
            "'always' is not a synchronous mode: use off (commits never wait for a standby), on (a commit waits for one"
                + " standby) or quorum-2 (for two)"));
  }

  @Test
  void badFallback_saysBothForms() {
    assertThat(problemOf(withGroup(NODES + "  - postgres: { data: /srv/pg, synchronous-fallback: later }")).message())
        .startsWith("'later' is neither block nor a time");
  }

  @Test
  void badLag_asksForASize() {
    assertThat(problemOf(withGroup(NODES + "  - postgres: { data: /srv/pg, max-lag-on-failover: 10% }")))
        .isEqualTo(new ConfigProblem("groups.web.resources[0].postgres.max-lag-on-failover",
            "'10%' is not a size of WAL; write e.g. 16MB or 1GiB"));
  }

  @Test
  void misspeltKey_isNamedWithSuggestion() {
    assertThat(problemOf(withGroup(NODES + "  - postgres: { data: /srv/pg, prot: 5432 }")))
        .isEqualTo(new ConfigProblem("groups.web.resources[0].postgres.prot", "unknown key 'prot'; did you mean 'port'?"));
  }

  @Test
  void portOutOfRange_isNamed() {
    assertThat(problemOf(withGroup(NODES + "  - postgres: { data: /srv/pg, port: 70000 }")))
        .isEqualTo(new ConfigProblem("groups.web.resources[0].postgres.port", "must be from 1 to 65535, not 70000"));
  }

  @Test
  void dataInsideTheNodesDataDir_isRefused() {
    assertThat(problemOf(withGroup(NODES + "  - postgres: { data: /var/lib/tandem/pg }").replace(
        "api: 10.0.0.1:8400", "api: 10.0.0.1:8400\n  data-dir: /var/lib/tandem")))
        .isEqualTo(new ConfigProblem("groups.web.resources[0].postgres.data",
            "/var/lib/tandem/pg is inside this node's data dir /var/lib/tandem; give PostgreSQL a directory of its own,"
                + " e.g. /var/lib/tandem-pg"));
  }
}
