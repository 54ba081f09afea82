package tandem.db.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import tandem.db.DatabaseEngine;
import tandem.db.DbStatus;
import tandem.db.Rejoin;

/** Real PostgreSQL servers on 127.0.0.1 driven by {@link PostgresEngine}: bootstrap, clone, promote, re-point, rewind. */
class PgReplicationTest {
  private static final Duration WAIT = Duration.ofSeconds(60);

  @Test
  void replicaClonedFromThePrimary_receivesItsWrites_andRefusesWrites() throws Exception {
    try (PgNodes nodes = new PgNodes("clone")) {
      PostgresEngine n1 = nodes.node("n1");
      PostgresEngine n2 = nodes.node("n2");
      n1.bootstrap();
      n1.startPrimary();
      n1.ensureSlots(List.of("n2"));
      exec(n1, "CREATE TABLE t (id int PRIMARY KEY, note text)", "INSERT INTO t VALUES (1, 'before the clone')");

      Rejoin r = n2.rejoin(PgNodes.upstream(n1, "n1", 1), "1-test");
      assertThat(r.how()).isEqualTo(Rejoin.How.CLONED);
      n2.keepCredentials(PgNodes.upstream(n1, "n1", 1));
      exec(n1, "INSERT INTO t VALUES (2, 'after the clone')");

      await("row 2 reaches n2").atMost(WAIT).ignoreExceptions().until(() -> count(n2, "SELECT count(*) FROM t") == 2);
      assertThat(n2.localRole()).isEqualTo(DatabaseEngine.LocalRole.REPLICA);
      assertThatThrownBy(() -> exec(n2, "INSERT INTO t VALUES (3, 'on a replica')")).isInstanceOf(SQLException.class)
          .hasMessageContaining("read-only transaction");
      await("n1 sees n2 streaming with its lag").atMost(WAIT).until(() -> {
        DbStatus s = n1.status();
        return s.role().equals("primary") && s.replicas().size() == 1 && s.replicas().getFirst().node().equals("n2")
            && s.replicas().getFirst().state().equals("streaming") && s.replicas().getFirst().lagBytes() == 0;
      });
      DbStatus replica = n2.status();
      assertThat(replica.role()).isEqualTo("replica");
      assertThat(replica.state()).isEqualTo("streaming");
      assertThat(replica.replayed()).isEqualTo(n1.status().position());
      // Caught up: no replay delay, however long ago the primary's last commit was (it was the age of that commit).
      await("n2 reports no replay delay").atMost(WAIT).until(() -> n2.status().lagSeconds() == 0.0);
      assertThat(Files.readString(nodes.dir.resolve("n2/pg/tandem.conf"))).contains("sslmode=verify-ca")
          .contains("application_name=n2");
      assertThat(Files.getPosixFilePermissions(nodes.dir.resolve("n1/secrets")).toString()).isEqualTo("[OWNER_READ, OWNER_WRITE]");
    }
  }

  @Test
  void promotedReplica_isFollowedByTheThird_andTheOldPrimaryIsRewoundKeepingItsDivergedWrite() throws Exception {
    try (PgNodes nodes = new PgNodes("failover")) {
      PostgresEngine n1 = nodes.node("n1");
      PostgresEngine n2 = nodes.node("n2");
      PostgresEngine n3 = nodes.node("n3");
      n1.bootstrap();
      n1.startPrimary();
      n1.ensureSlots(List.of("n2", "n3"));
      exec(n1, "CREATE TABLE t (id int PRIMARY KEY, note text)", "INSERT INTO t SELECT g, 'common' FROM generate_series(1, 100) g");
      n2.rejoin(PgNodes.upstream(n1, "n1", 1), "1-a");
      n3.rejoin(PgNodes.upstream(n1, "n1", 1), "1-b");
      n2.keepCredentials(PgNodes.upstream(n1, "n1", 1));
      n3.keepCredentials(PgNodes.upstream(n1, "n1", 1));
      await("both replicas have the 100 rows").atMost(WAIT).ignoreExceptions()
          .until(() -> count(n2, "SELECT count(*) FROM t") == 100 && count(n3, "SELECT count(*) FROM t") == 100);

      // The replicas stop; the old primary commits a row nobody else gets, then stops too.
      n2.stop();
      n3.stop();
      exec(n1, "INSERT INTO t VALUES (1000, 'never replicated')");
      n1.stop();

      n2.promote();
      assertThat(n2.localRole()).isEqualTo(DatabaseEngine.LocalRole.PRIMARY);
      n2.ensureSlots(List.of("n1", "n3"));
      exec(n2, "INSERT INTO t VALUES (2000, 'on the new primary')");

      Rejoin third = n3.rejoin(PgNodes.upstream(n2, "n2", 2), "2-n3");
      assertThat(third.how()).as(third.detail()).isEqualTo(Rejoin.How.FOLLOWED);
      await("n3 follows n2's new timeline").atMost(WAIT).ignoreExceptions()
          .until(() -> count(n3, "SELECT count(*) FROM t WHERE id = 2000") == 1);

      Rejoin old = n1.rejoin(PgNodes.upstream(n2, "n2", 2), "2-n1");
      assertThat(old.how()).as(old.detail()).isEqualTo(Rejoin.How.REWOUND);
      assertThat(old.lost()).isPresent();
      assertThat(old.lost().get().to()).isGreaterThan(old.lost().get().from());
      assertThat(old.lost().get().timeline()).isEqualTo(1);
      Path copy = old.keptCopy().orElseThrow();
      assertThat(copy.getFileName().toString()).startsWith("pg.pre-rewind-2-n1");
      await("the rewound old primary follows n2").atMost(WAIT).ignoreExceptions()
          .until(() -> count(n1, "SELECT count(*) FROM t WHERE id = 2000") == 1);
      assertThat(count(n1, "SELECT count(*) FROM t WHERE id = 1000")).as("the diverged row is gone from the live data").isZero();
      assertThat(n1.localRole()).isEqualTo(DatabaseEngine.LocalRole.REPLICA);

      // The kept copy still holds the diverged row: start it on a port of its own and look.
      PostgresEngine kept = nodes.onData("kept", copy, nodes.dir.resolve("n1/secrets"));
      kept.startPrimary();
      assertThat(count(kept, "SELECT count(*) FROM t WHERE id = 1000")).isEqualTo(1);
      kept.stop();
    }
  }

  static void exec(PostgresEngine e, String... sql) throws SQLException {
    try (Connection c = e.connect(); Statement st = c.createStatement()) {
      for (String s : sql) {
        st.execute(s);
      }
    }
  }

  static long count(PostgresEngine e, String sql) throws SQLException {
    try (Connection c = e.connect(); Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
      rs.next();
      return rs.getLong(1);
    }
  }
}
