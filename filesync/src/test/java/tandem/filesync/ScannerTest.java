package tandem.filesync;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ScannerTest {
  @TempDir Path root;
  Index index;
  Scanner scanner;

  @BeforeEach
  void setUp() {
    index = new Index();
    scanner = new Scanner(root, index, Excludes.of(List.of("*.tmp", "cache/")));
  }

  Path write(String rel, String content) throws IOException {
    Path p = root.resolve(rel);
    Files.createDirectories(p.getParent());
    return Files.writeString(p, content);
  }

  static List<String> paths(List<FileEntry> entries) {
    return entries.stream().map(FileEntry::path).toList();
  }

  @Test
  void fullScan_recordsFilesDirsAndLinks_parentsFirst() throws IOException {
    Path f = write("a/b/f.txt", "hello");
    Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rwxr-x---"));
    write("a/empty", "");
    byte[] big = ChunkerTest.random(300_000, 1);
    Files.write(root.resolve("big"), big);
    Files.createSymbolicLink(root.resolve("a/link"), Path.of("/etc")); // never followed

    ScanResult result = scanner.full();

    assertThat(paths(result.changed())).containsExactly("a", "a/b", "a/b/f.txt", "a/empty", "a/link", "big");
    assertThat(result.deleted()).isEmpty();
    assertThat(result.filesHashed()).isEqualTo(3);
    assertThat(result.bytesHashed()).isEqualTo(5 + 300_000);
    FileEntry entry = index.recorded("a/b/f.txt").entry();
    assertThat(entry.kind()).isEqualTo(Kind.FILE);
    assertThat(entry.size()).isEqualTo(5);
    assertThat(entry.mode()).isEqualTo(0750);
    assertThat(entry.mtimeNanos()).isEqualTo(Files.getLastModifiedTime(f).to(java.util.concurrent.TimeUnit.NANOSECONDS));
    assertThat(entry.chunks()).containsExactly(new ChunkRef(Hash.of("hello".getBytes(), 0, 5), 5));
    assertThat(index.recorded("big").entry().chunks()).isEqualTo(Chunker.chunk(root.resolve("big")));
    assertThat(index.recorded("a/empty").entry().chunks()).isEmpty();
    assertThat(index.recorded("a/link").entry()).satisfies(l -> {
      assertThat(l.kind()).isEqualTo(Kind.SYMLINK);
      assertThat(l.linkTarget()).isEqualTo("/etc");
    });
    assertThat(index.recorded("a").entry().kind()).isEqualTo(Kind.DIR);
    assertThat(index.recorded("a").synced()).isFalse();
    assertThat(index.size()).isEqualTo(6);
  }

  @Test
  void secondFullScan_hashesNothing_andReportsOnlyWhatChanged() throws IOException {
    write("d/one", "1");
    write("d/two", "2");
    write("three", "3");
    scanner.full();

    ScanResult unchanged = scanner.full();
    assertThat(unchanged.nothingChanged()).isTrue();
    assertThat(unchanged.filesHashed()).isZero();

    write("d/two", "two, longer");
    ScanResult modified = scanner.full();
    assertThat(paths(modified.changed())).containsExactly("d/two");
    assertThat(modified.filesHashed()).isEqualTo(1);
    assertThat(index.recorded("d/two").entry().size()).isEqualTo(11);
  }

  @Test
  void deletedDirectory_isReportedChildrenFirst_andLeavesTheIndex() throws IOException {
    write("d/e/f", "x");
    write("d/g", "y");
    write("keep", "z");
    scanner.full();
    deleteTree(root.resolve("d"));

    ScanResult result = scanner.full();

    assertThat(result.deleted()).containsExactly("d/g", "d/e/f", "d/e", "d");
    assertThat(index.children("")).containsExactly("keep");
  }

  @Test
  void metadataOnlyChange_rehashes_butKeepsSyncedAndReportsNothing() throws IOException {
    Path f = write("f", "content");
    scanner.full();
    FileEntry version = index.recorded("f").entry();
    index.setSynced("f", version);
    // chmod away and back: the ctime changes, the entry does not.
    Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rwx------"));
    Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-r--r--"));

    ScanResult result = scanner.full();

    assertThat(result.filesHashed()).isEqualTo(1);
    assertThat(result.nothingChanged()).isTrue();
    assertThat(index.recorded("f").synced()).isTrue();
    assertThat(index.recorded("f").stat().ctimeNanos()).isNotEqualTo(0);
  }

  @Test
  void touchedFile_isAChange_evenWithTheSameBytes() throws IOException {
    Path f = write("f", "same");
    scanner.full();
    Files.setLastModifiedTime(f, FileTime.fromMillis(1_000_000_000_123L));

    ScanResult result = scanner.full();

    assertThat(result.changed()).singleElement()
        .satisfies(e -> assertThat(e.mtimeNanos()).isEqualTo(1_000_000_000_123_000_000L));
  }

  @Test
  void excludedPaths_areSkipped_andExcludedDirsNotEntered() throws IOException {
    write("x.tmp", "t");
    write("cache/inner/deep", "c");
    write("src/cache", "a file named cache is not a directory");
    write(".tandem-tmp-123", "being written");

    ScanResult result = scanner.full();

    assertThat(paths(result.changed())).containsExactly("src", "src/cache");
    assertThat(scanner.paths(List.of("cache/inner/deep", "x.tmp")).nothingChanged()).isTrue();
    assertThat(index.size()).isEqualTo(2);
  }

  @Test
  void fifo_isSkippedAndCounted() throws Exception {
    write("f", "x");
    Process mkfifo = new ProcessBuilder("mkfifo", root.resolve("pipe").toString()).start();
    assertThat(mkfifo.waitFor()).isZero();

    ScanResult result = scanner.full();

    assertThat(result.skipped()).isEqualTo(1);
    assertThat(paths(result.changed())).containsExactly("f");
  }

  @Test
  void unreadableDirectory_isAProblem_andTheScanGoesOn() throws IOException {
    assumeThat(System.getProperty("user.name")).as("root reads any directory; run as a normal user").isNotEqualTo("root");
    write("locked/f", "x");
    write("open/g", "y");
    Files.setPosixFilePermissions(root.resolve("locked"), PosixFilePermissions.fromString("---------"));
    try {
      ScanResult result = scanner.full();
      assertThat(result.problems()).extracting(ScanResult.Problem::path).containsExactly("locked");
      assertThat(index.recorded("open/g")).isNotNull();
    } finally {
      Files.setPosixFilePermissions(root.resolve("locked"), PosixFilePermissions.fromString("rwx------"));
    }
  }

  @Test
  void partialScan_ofANewDirectory_walksIt_andRecordsMissingParents() throws IOException {
    write("top/file", "x");
    scanner.full();
    write("top/new/a/b/deep", "d");
    write("top/new/sibling", "s");

    ScanResult result = scanner.paths(List.of("top/new/a/b/deep"));

    assertThat(paths(result.changed())).containsExactly("top", "top/new", "top/new/a", "top/new/a/b",
        "top/new/a/b/deep", "top/new/sibling");
    assertThat(result.filesHashed()).isEqualTo(2);
  }

  @Test
  void partialScan_ofAGonePath_removesItsSubtree_andRefreshesTheParentMtime() throws IOException {
    write("p/d/x", "1");
    write("p/d/y", "2");
    write("p/other", "3");
    scanner.full();
    Files.setLastModifiedTime(root.resolve("p"), FileTime.fromMillis(1_000));
    scanner.full();
    deleteTree(root.resolve("p/d"));

    ScanResult result = scanner.paths(List.of("p/d"));

    assertThat(result.deleted()).containsExactly("p/d/y", "p/d/x", "p/d");
    assertThat(paths(result.changed())).containsExactly("p"); // its mtime moved with the delete
    assertThat(index.recorded("p/other")).isNotNull();
  }

  @Test
  void partialScan_ofAnUnchangedDirectory_doesNotWalkIt() throws IOException {
    write("d/sub/a", "1");
    scanner.full();
    // A write inside d/sub changes neither d's nor d/sub's stat: only a scan of d/sub/a (or a full one) sees it.
    write("d/sub/a", "22");

    ScanResult partial = scanner.paths(List.of("d"));
    assertThat(partial.nothingChanged()).isTrue();
    assertThat(partial.filesHashed()).isZero();
    assertThat(paths(scanner.full().changed())).containsExactly("d/sub/a");
  }

  @Test
  void fileChangingWhileHashed_isRetried_thenReportedBusy() throws IOException {
    Path f = write("f", "start");
    AtomicInteger writes = new AtomicInteger();
    Scanner busyOnce = new Scanner(root, index, Excludes.none(), p -> {
      if (writes.getAndIncrement() == 0) {
        Files.writeString(p, "more", StandardOpenOption.APPEND);
      }
    });
    ScanResult settled = busyOnce.full();
    assertThat(settled.filesHashed()).isEqualTo(2);
    assertThat(settled.busy()).isEmpty();
    assertThat(index.recorded("f").entry().size()).isEqualTo(9);

    Files.writeString(f, "changed");
    Scanner alwaysBusy = new Scanner(root, index, Excludes.none(),
        p -> Files.writeString(p, "x", StandardOpenOption.APPEND));
    ScanResult busy = alwaysBusy.full();
    assertThat(busy.busy()).containsExactly("f");
    assertThat(busy.filesHashed()).isEqualTo(Scanner.HASH_ATTEMPTS);
    assertThat(index.recorded("f").entry().size()).isEqualTo(9); // the old entry stands
  }

  @Test
  void directoryReplacedByAFile_dropsWhatItHeld() throws IOException {
    write("x/inner", "1");
    scanner.full();
    deleteTree(root.resolve("x"));
    write("x", "now a file");

    ScanResult result = scanner.full();

    assertThat(result.deleted()).containsExactly("x/inner");
    assertThat(index.recorded("x").entry().kind()).isEqualTo(Kind.FILE);
    assertThat(Files.isRegularFile(root.resolve("x"), LinkOption.NOFOLLOW_LINKS)).isTrue();
  }

  @Test
  void directoryOfBigFilesMovedWithinTheTree_isRecognised_notHashedAgain() throws IOException {
    byte[] data = new byte[3 << 20];
    new java.util.Random(9).nextBytes(data);
    Files.createDirectories(root.resolve("projects/a"));
    Files.write(root.resolve("projects/a/one.bin"), data);
    data[0] ^= 1;
    Files.write(root.resolve("projects/a/two.bin"), data);
    scanner.full();
    FileEntry before = index.recorded("projects/a/one.bin").entry();
    Files.createDirectories(root.resolve("archive"));
    Files.move(root.resolve("projects/a"), root.resolve("archive/a"));

    ScanResult result = scanner.paths(List.of("projects/a", "archive"));

    assertThat(result.filesHashed()).as("files read again").isZero();
    assertThat(paths(result.changed())).contains("archive/a/one.bin", "archive/a/two.bin");
    assertThat(index.recorded("archive/a/one.bin").entry().chunks()).isEqualTo(before.chunks());
    assertThat(result.deleted()).contains("projects/a/one.bin", "projects/a");
  }

  @Test
  void aFileWithTheSameInodeSizeAndMtimeButOtherBytes_isHashed_notTakenForAMove() throws IOException {
    byte[] data = new byte[3 << 20];
    new java.util.Random(10).nextBytes(data);
    Path old = Files.write(root.resolve("old.bin"), data);
    scanner.full();
    FileTime mtime = Files.getLastModifiedTime(old);
    Path moved = Files.move(old, root.resolve("new.bin"));
    try (var ch = java.nio.channels.FileChannel.open(moved, java.nio.file.StandardOpenOption.WRITE)) {
      ch.write(java.nio.ByteBuffer.wrap(new byte[] {(byte) ~data[0]}), 0); // as a reused inode would hold other bytes
    }
    Files.setLastModifiedTime(moved, mtime);

    ScanResult result = scanner.paths(List.of("old.bin", "new.bin"));

    assertThat(result.filesHashed()).isEqualTo(1);
    assertThat(index.recorded("new.bin").entry().chunks()).isEqualTo(Chunker.chunk(moved));
  }

  static void deleteTree(Path dir) throws IOException {
    try (var walk = Files.walk(dir)) {
      for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }
}
