package tandem.backup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RepoLockTest {
  @TempDir Path tmp;

  @Test
  void twoBackupsAtOnce_bothComplete_andBothSnapshotsRestore() throws Exception {
    Path repoDir = tmp.resolve("repo");
    BackupTest.fastInit(repoDir);
    Path a = Files.createDirectories(tmp.resolve("a"));
    Path b = Files.createDirectories(tmp.resolve("b"));
    BackupTest.populate(a, 11);
    BackupTest.populate(b, 12);
    try (ExecutorService pool = Executors.newFixedThreadPool(2)) {
      List<Future<Backup.Result>> runs = List.of(a, b).stream().map(src -> pool.submit(() -> {
        Repository repo = Repository.open(repoDir, BackupTest.PASSWORD);
        try (RepoLock l = RepoLock.acquire(repoDir, false, "backup")) {
          return new Backup(repo, Backup.Progress.NONE).run("n", List.of(new Backup.Source("web", "files", src)));
        }
      })).toList();
      for (Future<Backup.Result> f : runs) {
        f.get();
      }
    }
    Repository repo = Repository.open(repoDir, BackupTest.PASSWORD);
    assertThat(repo.snapshots()).hasSize(2);
    assertThat(new Verify(repo).run(100, 3).problems()).isEmpty();
  }

  @Test
  void pruneWaitsForNoBackup_andSaysWhoHoldsTheLock() throws IOException {
    try (RepoLock backup = RepoLock.acquire(tmp, false, "backup nightly")) {
      assertThatThrownBy(() -> RepoLock.acquire(tmp, true, "prune")).isInstanceOf(RepoLock.LockedException.class)
          .hasMessageContaining("backup nightly by pid " + ProcessHandle.current().pid());
      RepoLock.acquire(tmp, false, "another backup").close(); // shared locks share
    }
    RepoLock.acquire(tmp, true, "prune").close();
    assertThat(Files.list(tmp.resolve("locks")).toList()).as("locks are removed when released").isEmpty();
  }

  @Test
  void aLockWhoseProcessDied_orThatWasNotRefreshed_isIgnored() throws IOException {
    Files.createDirectories(tmp.resolve("locks"));
    Process dead = new ProcessBuilder("true").start();
    long deadPid = dead.pid();
    dead.onExit().join();
    Files.write(tmp.resolve("locks/dead"), Repository.JSON.writeValueAsBytes(
        new Model.Lock(RepoLock.host(), deadPid, Instant.now().toString(), true, "prune")));
    Files.write(tmp.resolve("locks/old"), Repository.JSON.writeValueAsBytes(
        new Model.Lock("elsewhere", 1, Instant.now().minus(RepoLock.STALE).minusSeconds(60).toString(), true, "prune")));

    RepoLock.acquire(tmp, true, "prune").close();

    assertThat(tmp.resolve("locks/dead")).doesNotExist();
    assertThat(tmp.resolve("locks/old")).doesNotExist();
  }
}
