package tandem.db;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tandem.core.Event;
import tandem.core.NodeId;

/**
 * A replica that cannot follow its primary says why once, as a db-follow-failed event, and in its status for as long
 * as it lasts (it read "stopped" with no reason while it retried every second).
 */
class FollowProblemTest {
  @TempDir Path dir;

  @Test
  void replicaThatCannotFollow_saysWhyInItsStatus_untilItFollows() throws Exception {
    DbPeers view = new DbPeers() {
      @Override
      public Optional<Primary> primary(String group) {
        return Optional.of(new Primary("p", new NodeId("a".repeat(52)), 4));
      }

      @Override
      public List<Peer> replicas(String group) {
        return List.of();
      }
    };
    AtomicBoolean primaryAnswers = new AtomicBoolean(false);
    DatabaseFactsServiceTest.StubEngine engine = new DatabaseFactsServiceTest.StubEngine();
    List<Event> events = new CopyOnWriteArrayList<>();
    UpstreamSource upstreams = (g, r, p) -> {
      if (!primaryAnswers.get()) {
        throw new DbException("p did not give the connection facts of db: UNAVAILABLE io exception");
      }
      return engine.asUpstream("p", "127.0.0.1", 4);
    };
    try (ReplicatedDatabase db = new ReplicatedDatabase("r", "db", 0, engine, view, upstreams, events::add,
        dir.resolve("db.role"), "127.0.0.1")) {
      db.follow();
      db.follow();

      assertThat(db.status().warnings()).containsExactly("not following the primary: p did not give the connection facts"
          + " of db: UNAVAILABLE io exception (trying again every second)");
      assertThat(events).filteredOn(e -> e.kind().equals("db-follow-failed")).as("said once").hasSize(1);

      primaryAnswers.set(true);
      db.follow();
      assertThat(engine.running()).isTrue();
      assertThat(db.status().warnings()).isEmpty();
    }
  }
}
