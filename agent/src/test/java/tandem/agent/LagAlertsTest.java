package tandem.agent;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import tandem.config.LagAlert;
import tandem.core.Event;
import tandem.core.Level;
import tandem.db.DbStatus;
import tandem.filesync.FilesStatus;
import tandem.filesync.ReceiverStatus;
import tandem.filesync.ReplicaProgress;

class LagAlertsTest {
  final List<Event> events = new ArrayList<>();
  final LagAlerts lag = new LagAlerts("n1", new LagAlert(Duration.ofSeconds(60), Duration.ofSeconds(10)), events::add);

  @Test
  void aReplicaBehindTheLimit_warnsOnce_andClearsUnderHalfOfIt() {
    lag.check(List.of(files(true, 30)), List.of(db("primary", 3)));
    assertThat(events).isEmpty();

    lag.check(List.of(files(true, 61)), List.of(db("primary", 12)));
    lag.check(List.of(files(true, 90)), List.of(db("primary", 20)));
    assertThat(events).extracting(Event::kind, Event::level).containsExactly(
        org.assertj.core.groups.Tuple.tuple("replication-lag", Level.WARNING),
        org.assertj.core.groups.Tuple.tuple("replication-lag", Level.WARNING));
    assertThat(events.get(0).message()).startsWith("n2 (files /srv/www) is 1m1s behind the primary, more than lag-alert"
        + " allows (1m): 4 entries and 400 bytes not there yet");
    assertThat(events.get(1).message()).startsWith("n2 (postgres web[1]) is 12s behind");
    assertThat(tandem.alert.Notifier.subjectOf(events.get(0))).isEqualTo("n2 (files /srv/www)");

    lag.check(List.of(files(true, 40)), List.of(db("primary", 4)));
    assertThat(events).hasSize(3).last().extracting(Event::kind).isEqualTo("replication-lag-cleared");
    assertThat(events.get(2).message()).startsWith("n2 (postgres web[1]) caught up");
    lag.check(List.of(files(true, 29)), List.of(db("primary", 4)));
    assertThat(events).hasSize(4).last().extracting(Event::message).asString().startsWith("n2 (files /srv/www) caught up");
  }

  @Test
  void onlyThePrimaryJudges() {
    lag.check(List.of(files(false, 600)), List.of(db("replica", 600)));
    assertThat(events).isEmpty();
  }

  private static FilesStatus files(boolean sending, double behind) {
    var r = new ReplicaProgress("n2", "behind", 10, 1000, 4, 400, behind, 0, 0, 0, 0, 0, "");
    var receiver = new ReceiverStatus(false, "", 0, false, 0, 0, 0, 0, 0, 0, 0);
    return new FilesStatus("web", 0, "/srv/www", sending, 14, 1400, List.of(r), receiver);
  }

  private static DbStatus db(String role, double lag) {
    return new DbStatus("web", 1, "postgres", role, "running", 100, 100, 1, 0,
        List.of(new DbStatus.ReplicaLag("n2", "streaming", "async", 90, 1000, lag)));
  }
}
