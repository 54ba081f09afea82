package tandem.db.mariadb;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static tandem.db.mariadb.MyNodes.exec;
import static tandem.db.mariadb.MyNodes.upstream;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import tandem.core.Event;
import tandem.core.NodeId;
import tandem.db.DbPeers;
import tandem.db.DbStatus;
import tandem.db.ReplicatedDatabase;
import tandem.transport.NodeIdentity;

/**
 * Semi-synchronous commits on real MariaDB servers: without its replica a commit waits, until the
 * fallback time, then goes through with a WARNING event, and waits again once the replica is back;
 * and under a loop of numbered commits, a primary killed with -9 (twice, each node in turn) loses
 * no acknowledged commit on the promoted replica.
 */
class MariadbSemiSyncTest {
  private static final Duration WAIT = Duration.ofSeconds(60);

  @Test
  void withoutItsReplica_aCommitWaitsThenFallsBackAndSaysSo_andAcknowledgedCommitsSurviveEachFailover() throws Exception {
    try (MyNodes nodes = new MyNodes("semisync")) {
      MariadbEngine n1 = nodes.node("n1");
      MariadbEngine n2 = nodes.node("n2");
      List<Event> events = new CopyOnWriteArrayList<>();
      NodeId n1id = NodeIdentity.load(nodes.dir.resolve("n1/id")).id();
      NodeId n2id = NodeIdentity.load(nodes.dir.resolve("n2/id")).id();
      DbPeers view = new DbPeers() {
        @Override
        public Optional<Primary> primary(String group) {
          return Optional.of(new Primary("n1", n1id, 1));
        }

        @Override
        public List<Peer> replicas(String group) {
          return List.of(new Peer("n2", n2id));
        }
      };
      try (ReplicatedDatabase db = new ReplicatedDatabase("n1", "db", 0, n1, view, (g, r, p) -> upstream(n1, "n1", 1),
          events::add, nodes.dir.resolve("n1/role"), "127.0.0.1")) {
        db.becomePrimary(1);
        exec(n1, "CREATE DATABASE app", "CREATE TABLE app.t (id int PRIMARY KEY)");
        n2.rejoin(upstream(n1, "n1", 1), "1-clone");
        db.synchronous(1, Duration.ofSeconds(3)).start();
        await("commits wait for n2").atMost(WAIT).until(() -> semiSyncOn(n1) && n1.status().replicas().stream()
            .anyMatch(r -> r.node().equals("n2") && r.syncState().equals("semi-sync")));
        exec(n1, "INSERT INTO app.t VALUES (0)");
        assertThat(events).noneMatch(e -> e.kind().equals("db-synchronous-fallback"));

        n2.stop();
        CompletableFuture<Void> commit = CompletableFuture.runAsync(() -> {
          try {
            exec(n1, "INSERT INTO app.t VALUES (-1)");
          } catch (SQLException e) {
            throw new IllegalStateException(e);
          }
        });
        await("the commit waits for the replica").during(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(2))
            .until(() -> !commit.isDone());
        commit.get(30, TimeUnit.SECONDS);
        await("the fallback is announced").atMost(WAIT)
            .until(() -> events.stream().anyMatch(e -> e.kind().equals("db-synchronous-fallback")));

        n2.startReplica(upstream(n1, "n1", 1));
        await("semi-sync again once n2 is back").atMost(WAIT)
            .until(() -> events.stream().anyMatch(e -> e.kind().equals("db-synchronous-restored")) && semiSyncOn(n1));
        await("row -1 reached n2").atMost(WAIT).ignoreExceptions()
            .until(() -> MyNodes.count(n2, "SELECT count(*) FROM app.t WHERE id = -1") == 1);
      }

      // Two failovers under a write loop: n1 dies, n2 takes over; n1 comes back, n2 dies, n1 takes over.
      MariadbEngine primary = n1;
      MariadbEngine replica = n2;
      String primaryName = "n1";
      String replicaName = "n2";
      int next = 1;
      for (int round = 1; round <= 2; round++) {
        primary.setSynchronous(List.of(replicaName), 1);
        MariadbEngine p = primary;
        await("semi-sync on " + primaryName).atMost(WAIT).until(() -> semiSyncOn(p));
        List<Integer> acknowledged = writeUntilCrash(primary, next, 150);
        assertThat(acknowledged).as("commits acknowledged in round " + round).hasSizeGreaterThanOrEqualTo(150);
        replica.promote();
        List<Long> present = MyNodes.ids(replica, "SELECT id FROM app.t WHERE id >= " + next);
        assertThat(present).as("every acknowledged commit of round " + round + " is on the promoted " + replicaName)
            .containsAll(acknowledged.stream().map(Long::valueOf).toList());
        next = acknowledged.getLast() + 1000;
        // The dead primary returns as a replica of the new one (re-cloned if it had an unacknowledged commit of its own).
        primary.rejoin(upstream(replica, replicaName, round + 1), (round + 1) + "-back");
        MariadbEngine swap = primary;
        primary = replica;
        replica = swap;
        String name = primaryName;
        primaryName = replicaName;
        replicaName = name;
        MariadbEngine r = replica;
        await("the old primary replicates from the new one").atMost(WAIT)
            .until(() -> r.status().state().equals("streaming"));
      }
      DbStatus last = primary.status();
      assertThat(last.role()).isEqualTo("primary");
    }
  }

  /**
   * A failover with two data nodes: the promoted replica's only standby is the old primary, whose agent does not
   * answer. Commits do not wait the (long) fallback time for it; the event says why; once the old primary streams
   * again, commits wait for it again. (A view that answers for all, as the test above, keeps the fallback time.)
   */
  @Test
  void promotedWhileItsOnlyStandbyDoesNotAnswer_commitsDoNotWaitTheFallbackTime_andWaitAgainOnceItStreams() throws Exception {
    try (MyNodes nodes = new MyNodes("semisync-alone")) {
      MariadbEngine n1 = nodes.node("n1");
      MariadbEngine n2 = nodes.node("n2");
      List<Event> events = new CopyOnWriteArrayList<>();
      NodeId n1id = NodeIdentity.load(nodes.dir.resolve("n1/id")).id();
      NodeId n2id = NodeIdentity.load(nodes.dir.resolve("n2/id")).id();
      java.util.Set<String> answering = java.util.concurrent.ConcurrentHashMap.newKeySet();
      java.util.concurrent.atomic.AtomicInteger asked = new java.util.concurrent.atomic.AtomicInteger();
      DbPeers view = new DbPeers() {
        @Override
        public Optional<Primary> primary(String group) {
          return Optional.of(new Primary("n2", n2id, 2));
        }

        @Override
        public List<Peer> replicas(String group) {
          return List.of(new Peer("n1", n1id));
        }

        @Override
        public java.util.Set<String> answering(String group, Duration timeout) {
          asked.incrementAndGet();
          return java.util.Set.copyOf(answering);
        }
      };
      n1.bootstrap();
      n1.startPrimary();
      exec(n1, "CREATE DATABASE app", "CREATE TABLE app.t (id int PRIMARY KEY)", "INSERT INTO app.t VALUES (1)");
      n2.rejoin(upstream(n1, "n1", 1), "1-clone");
      await("n2 has row 1").atMost(WAIT).ignoreExceptions().until(() -> MyNodes.count(n2, "SELECT count(*) FROM app.t") == 1);
      MyNodes.crash(n1);

      try (ReplicatedDatabase db = new ReplicatedDatabase("n2", "db", 0, n2, view, (g, r, p) -> upstream(n2, "n2", 2),
          events::add, nodes.dir.resolve("n2/role"), "127.0.0.1")) {
        db.synchronous(1, Duration.ofMinutes(10));
        db.becomePrimary(2);
        // With the old 10-minute fallback time this commit would hang; it returns as soon as the answer is in.
        CompletableFuture<Void> commit = CompletableFuture.runAsync(() -> {
          try {
            exec(n2, "INSERT INTO app.t VALUES (2)");
          } catch (SQLException e) {
            throw new IllegalStateException(e);
          }
        });
        commit.get(60, TimeUnit.SECONDS);
        assertThat(asked).hasValue(1);
        assertThat(events).filteredOn(e -> e.kind().equals("db-synchronous-fallback")).singleElement()
            .satisfies(e -> assertThat(e.message()).contains("n1 does not answer").contains("rather than after 10m"));
        assertThat(semiSyncOn(n2)).isFalse();

        // The old primary returns as a replica: commits wait for it again.
        n1.rejoin(upstream(n2, "n2", 2), "2-back");
        db.start();
        await("semi-sync again once n1 streams").atMost(WAIT)
            .until(() -> events.stream().anyMatch(e -> e.kind().equals("db-synchronous-restored")) && semiSyncOn(n2));
        await("row 2 reached n1").atMost(WAIT).ignoreExceptions()
            .until(() -> MyNodes.count(n1, "SELECT count(*) FROM app.t WHERE id = 2") == 1);
      }
    }
  }

  private static boolean semiSyncOn(MariadbEngine e) throws SQLException {
    try (Connection c = e.connect(); Statement st = c.createStatement();
        var rs = st.executeQuery("SHOW GLOBAL STATUS LIKE 'Rpl_semi_sync_master_status'")) {
      return rs.next() && rs.getString(2).equals("ON");
    }
  }

  /** Commits numbered rows from {@code first} in a loop; after {@code before} of them the server is killed (-9). The acknowledged ones. */
  private static List<Integer> writeUntilCrash(MariadbEngine e, int first, int before) throws Exception {
    ConcurrentLinkedQueue<Integer> acked = new ConcurrentLinkedQueue<>();
    AtomicBoolean stopped = new AtomicBoolean();
    CompletableFuture<Void> loop = CompletableFuture.runAsync(() -> {
      try (Connection c = e.connect(); Statement st = c.createStatement()) {
        for (int i = first; !stopped.get(); i++) {
          st.execute("INSERT INTO app.t VALUES (" + i + ")");
          acked.add(i);
        }
      } catch (SQLException expected) {
        // the server died under the loop
      }
    });
    await("commits before the crash").atMost(WAIT).until(() -> acked.size() >= before);
    MyNodes.crash(e);
    loop.get(30, TimeUnit.SECONDS);
    stopped.set(true);
    return List.copyOf(acked);
  }
}
