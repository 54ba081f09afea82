package tandem.backup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Backups into a real repository directory: round trips, dedup, encryption, damage, retention, prune, copy. */
class BackupTest {
  static final char[] PASSWORD = "correct horse battery staple".toCharArray();
  @TempDir Path tmp;
  Path src;
  Path repoDir;
  Repository repo;

  /** A repository with a cheap KDF: the real one costs 64 MiB and ~0.3 s per open, on purpose. */
  static Repository fastInit(Path dir) throws IOException {
    return Repository.init(dir, PASSWORD, 1024, 1);
  }

  @BeforeEach
  void setUp() throws IOException {
    src = Files.createDirectories(tmp.resolve("uploads"));
    repoDir = tmp.resolve("repo");
    repo = fastInit(repoDir);
  }

  static void populate(Path root, long seed) throws IOException {
    Random rnd = new Random(seed);
    for (int i = 0; i < 40; i++) {
      Path dir = Files.createDirectories(root.resolve("d" + i % 5).resolve("e" + i % 3));
      byte[] b = new byte[rnd.nextInt(i % 7 == 0 ? 600_000 : 9000) + 1];
      rnd.nextBytes(b);
      Path f = Files.write(dir.resolve("f" + i + ".bin"), b);
      Files.setPosixFilePermissions(f, PosixFilePermissions.fromString(i % 2 == 0 ? "rw-r-----" : "rwxr-xr-x"));
      Files.setLastModifiedTime(f, FileTime.fromMillis(1_700_000_000_000L + i * 1000L));
    }
    Files.writeString(root.resolve("notes.txt"), "the quarterly figures are confidential");
    Files.createDirectories(root.resolve("empty"));
    Files.createSymbolicLink(root.resolve("link"), Path.of("d0/e0"));
  }

  /** Path -> type, mode, mtime and content hash of everything under root. */
  static Map<String, String> describe(Path root) throws IOException {
    Map<String, String> out = new TreeMap<>();
    try (Stream<Path> all = Files.walk(root)) {
      for (Path p : all.filter(p -> !p.equals(root)).toList()) {
        String rel = root.relativize(p).toString();
        if (Files.isSymbolicLink(p)) {
          out.put(rel, "link " + Files.readSymbolicLink(p));
        } else if (Files.isDirectory(p)) {
          out.put(rel, "dir " + PosixFilePermissions.toString(Files.getPosixFilePermissions(p)));
        } else {
          out.put(rel, "file " + PosixFilePermissions.toString(Files.getPosixFilePermissions(p)) + " "
              + Files.getLastModifiedTime(p).toMillis() + " " + java.util.Arrays.hashCode(Files.readAllBytes(p)));
        }
      }
    }
    return out;
  }

  Repository.StoredSnapshot backup() throws IOException {
    Backup.Result r = new Backup(repo, Backup.Progress.NONE).run("nightly", List.of(new Backup.Source("web", "files", src)));
    return repo.snapshot(r.snapshotId());
  }

  @Test
  void directoriesGetTheirModeAndMtime_afterTheFilesWrittenIntoThemOnSeveralThreads() throws IOException {
    populate(src, 2);
    Map<String, Long> dirTimes = new TreeMap<>();
    try (Stream<Path> all = Files.walk(src)) {
      for (Path d : all.filter(p -> Files.isDirectory(p, java.nio.file.LinkOption.NOFOLLOW_LINKS) && !p.equals(src)).toList()) {
        Files.setLastModifiedTime(d, FileTime.fromMillis(1_600_000_000_000L + d.toString().length() * 1000L));
        dirTimes.put(src.relativize(d).toString(), Files.getLastModifiedTime(d).toMillis());
      }
    }
    Files.setPosixFilePermissions(src.resolve("d1"), PosixFilePermissions.fromString("r-xr-x---"));
    Repository.StoredSnapshot s = backup();

    new Restore(Repository.open(repoDir, PASSWORD)).run(s, "", tmp.resolve("restored"));

    Map<String, Long> restoredTimes = new TreeMap<>();
    for (String d : dirTimes.keySet()) {
      restoredTimes.put(d, Files.getLastModifiedTime(tmp.resolve("restored").resolve(d)).toMillis());
    }
    assertThat(restoredTimes).as("set after the last file was renamed into each").isEqualTo(dirTimes);
    assertThat(describe(tmp.resolve("restored"))).isEqualTo(describe(src));
  }

  @Test
  void aTreeRestoresIdentically_filesModesTimesLinksAndEmptyDirs() throws IOException {
    populate(src, 1);
    Repository.StoredSnapshot s = backup();

    Restore.Result r = new Restore(Repository.open(repoDir, PASSWORD)).run(s, "", tmp.resolve("restored"));

    assertThat(describe(tmp.resolve("restored"))).isEqualTo(describe(src));
    assertThat(r.files()).isEqualTo(41);
  }

  @Test
  void aTreeRestoresIdentically_withOneReaderOrFourAheadOfTheWriter() throws IOException {
    populate(src, 3);
    for (int i = 0; i < 300; i++) { // many small files: chunks of many files in flight at once
      Files.writeString(Files.createDirectories(src.resolve("many").resolve("m" + i % 7)).resolve("s" + i), "row " + i);
    }
    Repository.StoredSnapshot s = backup();

    Restore.Result one = new Restore(Repository.open(repoDir, PASSWORD), 1).run(s, "", tmp.resolve("one"));
    Restore.Result four = new Restore(Repository.open(repoDir, PASSWORD), 4).run(s, "", tmp.resolve("four"));

    assertThat(describe(tmp.resolve("one"))).isEqualTo(describe(src));
    assertThat(describe(tmp.resolve("four"))).isEqualTo(describe(src));
    assertThat(four).isEqualTo(one);
    assertThat(four.files()).isEqualTo(341);
  }

  @Test
  void aDamagedChunkStopsTheRestore_andLeavesNoHalfWrittenFileUnderItsName() throws IOException {
    populate(src, 4);
    Repository.StoredSnapshot s = backup();
    Path pack = repoDir.resolve(repo.list("data").getFirst());
    try (FileChannel ch = FileChannel.open(pack, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
      ByteBuffer b = ByteBuffer.allocate(1);
      ch.read(b, ch.size() / 2);
      b.flip();
      b.put(0, (byte) ~b.get(0));
      ch.write(b, ch.size() / 2);
    }

    assertThatThrownBy(() -> new Restore(Repository.open(repoDir, PASSWORD), 3).run(s, "", tmp.resolve("r")))
        .isInstanceOf(CorruptException.class).hasMessageContaining("does not authenticate");

    try (Stream<Path> all = Files.walk(tmp.resolve("r"))) {
      List<Path> files = all.filter(Files::isRegularFile).toList();
      assertThat(files).as("no temporary file is left behind").noneMatch(p -> p.getFileName().toString().startsWith(".restore-tmp-"));
      for (Path f : files) { // every file there is whole
        assertThat(Files.readAllBytes(f)).isEqualTo(Files.readAllBytes(src.resolve(tmp.resolve("r").relativize(f).toString())));
      }
    }
  }

  @Test
  void onePathOfASnapshotRestoresAlone() throws IOException {
    populate(src, 2);
    Repository.StoredSnapshot s = backup();

    new Restore(repo).run(s, "d1/e1", tmp.resolve("one"));

    assertThat(describe(tmp.resolve("one").resolve("e1"))).isEqualTo(describe(src.resolve("d1/e1")));
    assertThat(tmp.resolve("one").resolve("d0")).doesNotExist();
  }

  @Test
  void aSecondBackupAfterASmallChange_storesOnlyTheChange() throws IOException {
    populate(src, 3);
    backup();
    long first = repo.bytesWritten();
    Files.writeString(src.resolve("notes.txt"), "changed", StandardOpenOption.APPEND);

    backup();

    assertThat(repo.bytesWritten() - first).as("bytes stored by the second backup").isLessThan(16 * 1024);
    assertThat(repo.snapshots()).hasSize(2);
  }

  Backup.Result backupResult(boolean rereadAll) throws IOException {
    return new Backup(repo, Backup.Progress.NONE).rereadAll(rereadAll).run("nightly", List.of(new Backup.Source("web", "files", src)));
  }

  @Test
  void aSecondBackup_readsOnlyTheFilesThatChanged_evenWhenSizeAndMtimeWereKept() throws IOException {
    populate(src, 5);
    Backup.Result first = backupResult(false);
    assertThat(first.parent()).isNull();
    assertThat(first.reusedFiles()).isZero();

    Backup.Result second = backupResult(false);
    assertThat(second.parent()).isEqualTo(first.snapshotId());
    assertThat(second.reusedFiles()).as("files described unchanged by the parent").isEqualTo(41);

    // Same size, same mtime, other bytes: only the ctime (and a look at the file) can tell.
    Path f = src.resolve("d1/e1/f1.bin");
    FileTime mtime = Files.getLastModifiedTime(f);
    byte[] other = Files.readAllBytes(f);
    other[0] ^= 1;
    Files.write(f, other);
    Files.setLastModifiedTime(f, mtime);
    Backup.Result third = backupResult(false);
    assertThat(third.reusedFiles()).isEqualTo(40);
    new Restore(repo).run(repo.snapshot(third.snapshotId()), "", tmp.resolve("restored"));
    assertThat(describe(tmp.resolve("restored"))).isEqualTo(describe(src));

    assertThat(backupResult(true).reusedFiles()).as("--force reads everything").isZero();
  }

  @Test
  void aParentFromAnOtherBackupName_isNotUsed() throws IOException {
    populate(src, 6);
    new Backup(repo, Backup.Progress.NONE).run("hourly", List.of(new Backup.Source("web", "files", src)));

    assertThat(backupResult(false).reusedFiles()).isZero();
  }

  @Test
  void theRepositoryRevealsNoContentAndNoNames() throws IOException {
    populate(src, 4);
    backup();
    try (Stream<Path> all = Files.walk(repoDir)) {
      for (Path p : all.filter(Files::isRegularFile).toList()) {
        String bytes = new String(Files.readAllBytes(p), StandardCharsets.ISO_8859_1);
        assertThat(bytes).as(p.toString()).doesNotContain("quarterly figures").doesNotContain("notes.txt");
      }
    }
  }

  @Test
  void aWrongPassword_isRefusedWithAClearMessage() {
    assertThatThrownBy(() -> Repository.open(repoDir, "wrong".toCharArray())).isInstanceOf(WrongPasswordException.class)
        .hasMessageContaining("password-file");
  }

  @Test
  void aCorruptedByteInAPack_isFoundByVerify_andRestoreRefusesIt() throws IOException {
    populate(src, 5);
    Repository.StoredSnapshot s = backup();
    assertThat(new Verify(repo).run(100, 1).ok()).isTrue();
    Path pack = repoDir.resolve(repo.list("data").getFirst());
    try (FileChannel ch = FileChannel.open(pack, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
      ByteBuffer b = ByteBuffer.allocate(1);
      ch.read(b, 100);
      b.flip();
      b.put(0, (byte) ~b.get(0));
      ch.write(b, 100);
    }

    Verify.Report report = new Verify(Repository.open(repoDir, PASSWORD)).run(100, 1);

    assertThat(report.ok()).isFalse();
    assertThat(report.problems()).anyMatch(p -> p.contains("does not authenticate") || p.contains("does not hash to its name"));
    assertThat(report.problems()).as("the damaged snapshot and file are named").anyMatch(p -> p.startsWith("snapshot "
        + s.id().substring(0, 8)) && p.contains("is damaged at: web:" + src));
    assertThatThrownBy(() -> new Restore(Repository.open(repoDir, PASSWORD)).run(s, "", tmp.resolve("r")))
        .isInstanceOf(CorruptException.class);
  }

  @Test
  void aTruncatedPack_isFoundWithoutReadingData() throws IOException {
    populate(src, 6);
    backup();
    Path pack = repoDir.resolve(repo.list("data").getFirst());
    try (FileChannel ch = FileChannel.open(pack, StandardOpenOption.WRITE)) {
      ch.truncate(ch.size() / 2);
    }

    Verify.Report report = new Verify(Repository.open(repoDir, PASSWORD)).run(0, 1);

    assertThat(report.problems()).anyMatch(p -> p.contains("is truncated"));
    assertThat(report.problems()).anyMatch(p -> p.contains("is damaged at: web:" + src + "/"));
  }

  @Test
  void forgetThenPrune_freesSpace_andTheKeptSnapshotStillRestores() throws IOException {
    populate(src, 7);
    backup();
    try (Stream<Path> files = Files.walk(src)) {
      for (Path f : files.filter(p -> p.toString().endsWith(".bin")).toList()) {
        Files.delete(f);
      }
    }
    Files.writeString(src.resolve("new.txt"), "after the cleanup");
    Repository.StoredSnapshot kept = backup();
    long before = sizeOf(repoDir.resolve("data"));
    List<Retention.Decision> d = new Retention(1, 0, 0, 0, 0, 0).apply(times(repo), java.time.ZoneOffset.UTC);
    for (Retention.Decision x : d) {
      if (!x.keep()) {
        repo.deleteSnapshot(x.id());
      }
    }

    Prune.Result r = new Prune(repo).run(false);

    assertThat(r.bytesFreed()).isPositive();
    assertThat(sizeOf(repoDir.resolve("data"))).isLessThan(before / 2);
    Repository fresh = Repository.open(repoDir, PASSWORD);
    assertThat(new Verify(fresh).run(100, 1).problems()).isEmpty();
    new Restore(fresh).run(fresh.snapshot(kept.id()), "", tmp.resolve("after"));
    assertThat(describe(tmp.resolve("after"))).isEqualTo(describe(src));
  }

  @Test
  void copyToASecondRepository_withItsOwnKeys_restoresIdentically() throws IOException {
    populate(src, 8);
    backup();
    Repository offsite = fastInit(tmp.resolve("offsite"));

    assertThat(new Copy(repo, offsite).run()).isEqualTo(1);
    assertThat(new Copy(repo, offsite).run()).as("a second copy finds nothing new").isZero();

    Repository again = Repository.open(tmp.resolve("offsite"), PASSWORD);
    new Restore(again).run(again.snapshot("latest"), "", tmp.resolve("from-offsite"));
    assertThat(describe(tmp.resolve("from-offsite"))).isEqualTo(describe(src));
  }

  @Test
  void restoreRefusesATargetThatIsNotEmpty() throws IOException {
    populate(src, 9);
    Repository.StoredSnapshot s = backup();
    Files.writeString(Files.createDirectories(tmp.resolve("busy")).resolve("keep.txt"), "mine");

    assertThatThrownBy(() -> new Restore(repo).run(s, "", tmp.resolve("busy"))).hasMessageContaining("not empty");
    assertThat(Files.readString(tmp.resolve("busy/keep.txt"))).isEqualTo("mine");
  }

  static Map<String, java.time.Instant> times(Repository repo) throws IOException {
    Map<String, java.time.Instant> m = new TreeMap<>();
    for (Repository.StoredSnapshot s : repo.snapshots()) {
      m.put(s.id(), java.time.Instant.parse(s.snapshot().time()));
    }
    return m;
  }

  static void deleteTree(Path dir) throws IOException {
    if (Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
      try (Stream<Path> all = Files.walk(dir)) {
        for (Path p : all.sorted(java.util.Comparator.reverseOrder()).toList()) {
          Files.delete(p);
        }
      }
    }
  }

  static long sizeOf(Path dir) throws IOException {
    try (Stream<Path> all = Files.walk(dir)) {
      return all.filter(p -> Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)).mapToLong(p -> p.toFile().length()).sum();
    }
  }
}
