package tandem.backup;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import tandem.config.BackupConfig;

/** Which archived WAL forget removes: only what no kept base backup can need. */
class PitrRetentionTest {
  final BackupConfig nightly = new BackupConfig("nightly", "0 3 * * *", List.of("db"), Path.of("/r"), Path.of("/k"),
      new BackupConfig.Keep(2, 0, 0, 0, 0, 0), BackupConfig.RunOn.PRIMARY, List.of(), true);
  final List<Repository.StoredSnapshot> all = new ArrayList<>();

  Repository.StoredSnapshot add(String id, String backup, String kind, int hour) {
    Repository.StoredSnapshot s = new Repository.StoredSnapshot(id, new Model.Snapshot(1, Instant.parse("2026-12-01T00:00:00Z")
        .plusSeconds(hour * 3600L).toString(), "n1", backup, List.of(new Model.Source("db", kind, "x", "t")), 1, 1));
    all.add(s);
    return s;
  }

  Retention.Decision decide(Repository.StoredSnapshot s, boolean keep) {
    return new Retention.Decision(s.id(), Instant.parse(s.snapshot().time()), keep, List.of());
  }

  @Test
  void walBeforeTheBackupBeforeTheOldestKeptOne_goes_theRestStays() {
    Repository.StoredSnapshot w0 = add("w0", "nightly/wal", "wal", 0);
    Repository.StoredSnapshot b1 = add("b1", "nightly", "postgres", 1);
    add("w1", "nightly/wal", "wal", 2); // may hold WAL from before b2 began: b1's time bounds it
    Repository.StoredSnapshot b2 = add("b2", "nightly", "postgres", 3);
    add("w2", "nightly/wal", "wal", 4);
    Repository.StoredSnapshot b3 = add("b3", "nightly", "postgres", 5);
    add("o1", "other/wal", "wal", 0);

    List<Retention.Decision> gone = Pitr.walToForget(all, nightly, List.of(decide(b3, true), decide(b2, true), decide(b1, false)));
    assertThat(gone).extracting(Retention.Decision::id).containsExactly(w0.id());
    assertThat(gone).allSatisfy(d -> assertThat(d.keep()).isFalse());
    assertThat(Pitr.isWal(w0.snapshot())).isTrue();
    assertThat(Pitr.isWal(b1.snapshot())).isFalse();
  }

  @Test
  void withNoOlderBackup_orNothingKept_everyWalFileStays() {
    add("w0", "nightly/wal", "wal", 0);
    Repository.StoredSnapshot b1 = add("b1", "nightly", "postgres", 1);
    assertThat(Pitr.walToForget(all, nightly, List.of(decide(b1, true)))).isEmpty();
    assertThat(Pitr.walToForget(all, nightly, List.of(decide(b1, false)))).isEmpty();
  }
}
