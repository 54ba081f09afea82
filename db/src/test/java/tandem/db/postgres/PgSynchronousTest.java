package tandem.db.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import tandem.core.Event;
import tandem.core.NodeId;
import tandem.db.DbPeers;
import tandem.db.ReplicatedDatabase;

/**
 * Synchronous mode on real PostgreSQL servers: a commit waits for the standby; without it, a
 * strict primary blocks, and one with synchronous-fallback stops waiting after the timeout, says
 * so, and waits again once the standby is back.
 */
class PgSynchronousTest {
  private static final Duration WAIT = Duration.ofSeconds(60);

  @Test
  void withoutItsStandby_aCommitWaits_untilTheFallbackTimeThenGoesThrough_andWaitsAgainOnceItIsBack() throws Exception {
    try (PgNodes nodes = new PgNodes("synchronous")) {
      PostgresEngine n1 = nodes.node("n1");
      PostgresEngine n2 = nodes.node("n2");
      List<Event> events = new CopyOnWriteArrayList<>();
      NodeId n2id = tandem.transport.NodeIdentity.load(nodes.dir.resolve("n2/id")).id();
      DbPeers view = new DbPeers() {
        @Override
        public Optional<Primary> primary(String group) {
          try {
            return Optional.of(new Primary("n1", tandem.transport.NodeIdentity.load(nodes.dir.resolve("n1/id")).id(), 1));
          } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
          }
        }

        @Override
        public List<Peer> replicas(String group) {
          return List.of(new Peer("n2", n2id));
        }
      };
      try (ReplicatedDatabase db = new ReplicatedDatabase("n1", "db", 0, n1, view, (g, r, p) -> PgNodes.upstream(n1, "n1", 1),
          events::add, nodes.dir.resolve("n1/role"), "127.0.0.1")) {
        db.becomePrimary(1);
        PgReplicationTest.exec(n1, "CREATE TABLE t (id int PRIMARY KEY)");
        n2.rejoin(PgNodes.upstream(n1, "n1", 1), "1-clone");
        n2.keepCredentials(PgNodes.upstream(n1, "n1", 1));
        await("n2 streams").atMost(WAIT).until(() -> n1.status().replicas().stream().anyMatch(r -> r.state().equals("streaming")));
        db.synchronous(1, Duration.ofSeconds(3)).start();
        await("commits wait for n2").atMost(WAIT).until(() -> n1.status().replicas().getFirst().syncState().equals("quorum"));
        PgReplicationTest.exec(n1, "INSERT INTO t VALUES (1)");
        assertThat(events).noneMatch(e -> e.kind().equals("db-synchronous-fallback"));

        n2.stop();
        CompletableFuture<Void> commit = CompletableFuture.runAsync(() -> {
          try {
            PgReplicationTest.exec(n1, "INSERT INTO t VALUES (2)");
          } catch (Exception e) {
            throw new IllegalStateException(e);
          }
        });
        await("the commit waits for the standby").during(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(2))
            .until(() -> !commit.isDone());
        commit.get(30, java.util.concurrent.TimeUnit.SECONDS);
        // The event follows the change that let the commit through, from the primary's own thread.
        await("the fallback is announced").atMost(WAIT)
            .until(() -> events.stream().anyMatch(e -> e.kind().equals("db-synchronous-fallback")));

        n2.startReplica(PgNodes.upstream(n1, "n1", 1));
        await("synchronous again once n2 is back").atMost(WAIT)
            .until(() -> events.stream().anyMatch(e -> e.kind().equals("db-synchronous-restored")));
        assertThat(n1.status().replicas().getFirst().syncState()).isEqualTo("quorum");
        await("row 2 reached n2").atMost(WAIT).ignoreExceptions()
            .until(() -> PgReplicationTest.count(n2, "SELECT count(*) FROM t") == 2);
      }
    }
  }

  /**
   * A promoted standby is synchronous from its first commit: the names are in effect when
   * pg_promote returns, not a tick later (a commit acknowledged in between existed on the new
   * primary alone).
   */
  @Test
  void aPromotedStandby_hasItsSynchronousNamesInEffectWhenThePromotionReturns() throws Exception {
    try (PgNodes nodes = new PgNodes("synchronous-promote")) {
      PostgresEngine n1 = nodes.node("n1");
      PostgresEngine n2 = nodes.node("n2");
      n1.bootstrap();
      n1.startPrimary();
      n1.ensureSlots(List.of("n2"));
      n2.rejoin(PgNodes.upstream(n1, "n1", 1), "1-clone");
      n2.keepCredentials(PgNodes.upstream(n1, "n1", 1));
      await("n2 streams").atMost(WAIT).until(() -> n1.status().replicas().stream().anyMatch(r -> r.state().equals("streaming")));
      n1.stop();

      n2.setSynchronous(List.of("n1"), 1);
      n2.promote();
      try (var c = n2.connect(); var st = c.createStatement(); var rs = st.executeQuery("SHOW synchronous_standby_names")) {
        rs.next();
        assertThat(rs.getString(1)).isEqualTo("ANY 1 (\"n1\")");
      }
      assertThat(n2.status().role()).isEqualTo("primary");
    }
  }
}
