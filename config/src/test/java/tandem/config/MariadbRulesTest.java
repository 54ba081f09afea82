package tandem.config;

import static org.assertj.core.api.Assertions.assertThat;
import static tandem.config.ConfigFixtures.load;
import static tandem.config.ConfigFixtures.problemOf;
import static tandem.config.ConfigFixtures.problemsOf;
import static tandem.config.ConfigFixtures.withGroup;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class MariadbRulesTest {
  private static final String NODES = "nodes: { n1: primary }\nresources:\n";
  private static final String AT = "groups.web.resources[0].mariadb.";

  @Test
  void fullMariadbResource_readsEveryKey() throws Exception {
    TandemConfig c = load(withGroup(NODES + """
          - mariadb:
              bin: /usr/sbin
              data: /var/lib/tandem/mysql
              port: 3307
              semi-sync: 10s
              max-lag-on-failover: 500
              databases: [wordpress, shop]
              parameters: { max_connections: 200, innodb-buffer-pool-size: 1G }
              user: mariadb
        """));
    assertThat(c.groups().get("web").resources()).containsExactly(new MariadbConfig(Optional.of(Path.of("/usr/sbin")),
        Path.of("/var/lib/tandem/mysql"), 3307, true, Optional.of(Duration.ofSeconds(10)), 500, List.of("wordpress", "shop"),
        Map.of("max-connections", "200", "innodb-buffer-pool-size", "1G"), "mariadb"));
  }

  @Test
  void dataOnly_usesDefaults_andBareOnMeansStrictSemiSync() throws Exception {
    TandemConfig c = load(withGroup(NODES + "  - mariadb: { data: /srv/mysql }"));
    assertThat(c.groups().get("web").resources()).containsExactly(new MariadbConfig(Optional.empty(), Path.of("/srv/mysql"),
        3306, false, Optional.empty(), 1000, List.of(), Map.of(), "mysql"));
    MariadbConfig on = (MariadbConfig) load(withGroup(NODES + "  - mariadb: { data: /srv/mysql, semi-sync: on }"))
        .groups().get("web").resources().getFirst();
    assertThat(on.semiSync()).isTrue();
    assertThat(on.semiSyncFallback()).isEmpty();
  }

  @Test
  void badSemiSync_namesEveryChoice() {
    assertThat(problemOf(withGroup(NODES + "  - mariadb: { data: /srv/mysql, semi-sync: always }")))
        .isEqualTo(new ConfigProblem(AT + "semi-sync", "'always' is not a semi-sync mode: use off (commits never wait for a"
            + " replica), on (a commit waits for a replica's acknowledgement, as long as it takes) or a time such as 10s"
            + " (waits at most that long without a replica, then commits without one and says so)"));
  }

  @Test
  void maxLagAsATime_asInTheIssuesExample_isALimitInTime() throws Exception {
    MariadbConfig m = (MariadbConfig) load(withGroup(NODES + "  - mariadb: { data: /srv/mysql, max-lag-on-failover: 5s }"))
        .groups().get("web").resources().getFirst();
    assertThat(m.maxLagOnFailover()).isEqualTo(new MaxLag.Behind(Duration.ofSeconds(5)));
    assertThat(m.maxLagOnFailover().text()).isEqualTo("5s");
    MariadbConfig ms = (MariadbConfig) load(withGroup(NODES + "  - mariadb: { data: /srv/mysql, max-lag-on-failover: 1m30s }"))
        .groups().get("web").resources().getFirst();
    assertThat(ms.maxLagOnFailover()).isEqualTo(new MaxLag.Behind(Duration.ofSeconds(90)));
  }

  @Test
  void maxLagAsANumber_isTransactions() throws Exception {
    MariadbConfig m = (MariadbConfig) load(withGroup(NODES + "  - mariadb: { data: /srv/mysql, max-lag-on-failover: 250 }"))
        .groups().get("web").resources().getFirst();
    assertThat(m.maxLagOnFailover()).isEqualTo(new MaxLag.Transactions(250));
  }

  @Test
  void maxLagNeitherNumberNorTime_isRefusedNamingBothForms() {
    for (String bad : List.of("5 seconds", "0s", "0", "-3", "5MB", "fast")) {
      assertThat(problemOf(withGroup(NODES + "  - mariadb: { data: /srv/mysql, max-lag-on-failover: '" + bad + "' }")))
          .as(bad).isEqualTo(new ConfigProblem(AT + "max-lag-on-failover", "'" + bad + "' is neither a number of"
              + " transactions nor a time: write a count of GTIDs a replica may miss, e.g. max-lag-on-failover: 1000, or how"
              + " far behind in time it may be, e.g. max-lag-on-failover: 5s"));
    }
  }

  @Test
  void maxLagLimits_refuseZeroOrLess() {
    org.assertj.core.api.Assertions.assertThatIllegalArgumentException().isThrownBy(() -> new MaxLag.Transactions(0));
    org.assertj.core.api.Assertions.assertThatIllegalArgumentException().isThrownBy(() -> new MaxLag.Behind(Duration.ZERO));
  }

  @Test
  void missingOrRelativeData_isReported() {
    assertThat(problemOf(withGroup(NODES + "  - mariadb: { port: 3306 }")))
        .isEqualTo(new ConfigProblem(AT + "data", "required: the server's data directory, e.g. data: /var/lib/tandem/mysql"));
    assertThat(problemOf(withGroup(NODES + "  - mariadb: { data: mysql }")))
        .isEqualTo(new ConfigProblem(AT + "data", "'mysql' is relative; write an absolute path, e.g. /var/lib/tandem/mysql"));
  }

  @Test
  void protectedParametersAndSystemSchemas_areRefusedWithTheFix() {
    List<ConfigProblem> problems = problemsOf(withGroup(NODES + "  - mariadb: { data: /srv/mysql, databases: [shop, mysql],"
        + " parameters: { server_id: 7, log-bin: x, replicate-do-db: a, rpl_semi_sync_master_enabled: 1, ssl-ca: /a,"
        + " wait_timeout: 60 } }"));
    assertThat(problems).extracting(ConfigProblem::path).containsExactlyInAnyOrder(AT + "databases[1]",
        AT + "parameters.server_id", AT + "parameters.log-bin", AT + "parameters.replicate-do-db",
        AT + "parameters.rpl_semi_sync_master_enabled", AT + "parameters.ssl-ca");
    assertThat(problems).contains(
        new ConfigProblem(AT + "databases[1]", "'mysql' is a system schema; tandem replicates what it needs of it itself:"
            + " list only your own databases"),
        new ConfigProblem(AT + "parameters.replicate-do-db", "'replicate-do-db' is set by tandem itself (where the server"
            + " listens, how it replicates, its TLS, durability); remove it from parameters and use mariadb.databases instead"));
  }

  @Test
  void unknownKey_isAnErrorWithASuggestion() {
    assertThat(problemOf(withGroup(NODES + "  - mariadb: { data: /srv/mysql, semisync: on }")).path()).isEqualTo(AT + "semisync");
  }

  @Test
  void dumpReplication_readsTheInterval_andDefaultsToFiveMinutes() throws Exception {
    MariadbConfig every = (MariadbConfig) load(withGroup(NODES + "  - mariadb: { data: /srv/mysql, replication: dump,"
        + " dump-interval: 2m }")).groups().get("web").resources().getFirst();
    assertThat(every.replication()).isEqualTo(MariadbConfig.Replication.DUMP);
    assertThat(every.dumps()).isTrue();
    assertThat(every.dumpInterval()).isEqualTo(Duration.ofMinutes(2));
    MariadbConfig plain = (MariadbConfig) load(withGroup(NODES + "  - mariadb: { data: /srv/mysql, replication: DUMP }"))
        .groups().get("web").resources().getFirst();
    assertThat(plain.dumpInterval()).isEqualTo(Duration.ofMinutes(5));
    MariadbConfig gtid = (MariadbConfig) load(withGroup(NODES + "  - mariadb: { data: /srv/mysql }"))
        .groups().get("web").resources().getFirst();
    assertThat(gtid.replication()).isEqualTo(MariadbConfig.Replication.GTID);
  }

  @Test
  void unknownReplication_namesBothModesAndTheirLoss() {
    assertThat(problemOf(withGroup(NODES + "  - mariadb: { data: /srv/mysql, replication: binlog }")))
        .isEqualTo(new ConfigProblem(AT + "replication", "'binlog' is not a replication mode: use gtid (the binlog"
            + " replicated by GTID; a failover loses at most the last few transactions) or dump (no binlog: a consistent"
            + " dump every dump-interval, so a failover loses up to dump-interval of writes)"));
  }

  @Test
  void dumpIntervalWithGtid_orTooShort_isRefused() {
    assertThat(problemOf(withGroup(NODES + "  - mariadb: { data: /srv/mysql, dump-interval: 5m }")))
        .isEqualTo(new ConfigProblem(AT + "dump-interval", "only replication: dump takes dumps; remove dump-interval or set"
            + " replication: dump"));
    assertThat(problemOf(withGroup(NODES + "  - mariadb: { data: /srv/mysql, replication: dump, dump-interval: 3s }")))
        .isEqualTo(new ConfigProblem(AT + "dump-interval", "3s is too short: a replica would spend nearly all its time"
            + " restoring; use at least 10s, e.g. dump-interval: 5m"));
    assertThat(problemOf(withGroup(NODES + "  - mariadb: { data: /srv/mysql, replication: dump, dump-interval: soon }"))
        .path()).isEqualTo(AT + "dump-interval");
  }

  @Test
  void semiSyncOrMaxLagWithDump_isRefusedAsMeaningless() {
    List<ConfigProblem> problems = problemsOf(withGroup(NODES + "  - mariadb: { data: /srv/mysql, replication: dump,"
        + " semi-sync: on, max-lag-on-failover: 10 }"));
    assertThat(problems).extracting(ConfigProblem::path).containsExactlyInAnyOrder(AT + "semi-sync", AT + "max-lag-on-failover");
    assertThat(problems.getFirst().message()).contains("replication: dump has no binlog");
  }

  @Test
  void mysqlResource_readsTheSameKeys_asMysql_andRefusesDumpReplication() throws Exception {
    MariadbConfig m = (MariadbConfig) load(withGroup(NODES + "  - mysql: { data: /srv/mysql, bin: /opt/mysql/bin,"
        + " semi-sync: 10s, max-lag-on-failover: 250 }")).groups().get("web").resources().getFirst();
    assertThat(m.mysql()).isTrue();
    assertThat(m.kind()).isEqualTo("mysql");
    assertThat(m.bin()).contains(Path.of("/opt/mysql/bin"));
    assertThat(m.semiSyncFallback()).contains(Duration.ofSeconds(10));
    assertThat(m.replication()).isEqualTo(MariadbConfig.Replication.GTID);
    MariadbConfig maria = (MariadbConfig) load(withGroup(NODES + "  - mariadb: { data: /srv/mysql }"))
        .groups().get("web").resources().getFirst();
    assertThat(maria.mysql()).isFalse();
    assertThat(maria.kind()).isEqualTo("mariadb");
    assertThat(problemOf(withGroup(NODES + "  - mysql: { data: /srv/mysql, replication: dump }")))
        .isEqualTo(new ConfigProblem("groups.web.resources[0].mysql.replication", "dump is for MariaDB only; a mysql resource"
            + " replicates its binlog by GTID: remove replication (and dump-interval) or write replication: gtid"));
    assertThat(problemOf(withGroup(NODES + "  - mysql: { data: /srv/mysql, parameters: { super_read_only: 0 } }")).path())
        .as("MySQL's own replication settings are tandem's too").isEqualTo("groups.web.resources[0].mysql.parameters.super_read_only");
  }
}
