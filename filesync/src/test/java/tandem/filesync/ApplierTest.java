package tandem.filesync;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tandem.core.Event;
import tandem.core.Level;
import tandem.filesync.Outcome.Action;

class ApplierTest {
  @TempDir Path tmp;
  Path root;
  final MapBaseline baseline = new MapBaseline();
  final Chunks chunks = new Chunks();
  final List<Event> events = new CopyOnWriteArrayList<>();
  final SettableClock clock = new SettableClock(Instant.parse("2026-03-04T05:06:07Z"));
  Applier applier;

  @BeforeEach
  void setUp() throws Exception {
    root = Files.createDirectory(tmp.resolve("root"));
    applier = new Applier(root, baseline, ApplierOptions.of("n2").withClock(clock).withEvents(events::add));
  }

  @Test
  void createsAFileWithItsModeAndMtimeAndRecordsIt() throws Exception {
    byte[] content = bytes("hello world", 10_000);
    Outcome o = applier.apply(chunks.file("a/b/c.txt", content, 0640, 1_600_000_000_987_654_321L), chunks);

    Path p = root.resolve("a/b/c.txt");
    assertThat(o.action()).isEqualTo(Action.CREATED);
    assertThat(Files.readAllBytes(p)).isEqualTo(content);
    assertThat((Integer) Files.getAttribute(p, "unix:mode") & 07777).isEqualTo(0640);
    assertThat(Files.getLastModifiedTime(p).to(TimeUnit.NANOSECONDS)).isEqualTo(1_600_000_000_987_654_321L);
    assertThat(baseline.recorded("a/b/c.txt").stat()).isEqualTo(Lstat.of(p).stat());
    assertThat((Integer) Files.getAttribute(root.resolve("a"), "unix:mode") & 07777).isEqualTo(0755);
    assertThat(tempsUnder(root)).isEmpty();
  }

  @Test
  void setuidAndSetgidFromAPeerAreDropped() throws Exception {
    applier.apply(chunks.file("tool", bytes("x", 1), 06755, 0), chunks);
    assertThat((Integer) Files.getAttribute(root.resolve("tool"), "unix:mode") & 07777).isEqualTo(0755);
  }

  @Test
  void everyModeIsExactWhetherTheUmaskLetsItThroughAtCreateOrAChmodIsNeeded() throws Exception {
    // 0644 and 0755 pass a usual umask (022) at create; 0664, 0666 and 0777 need the chmod; 01755 carries a
    // bit the create call does not take; 0 and 0200 are odd but legal.
    int[] modes = {0644, 0755, 0600, 0664, 0666, 0777, 01755, 0, 0200};
    List<FileEntry> batch = new java.util.ArrayList<>();
    for (int m : modes) {
      applier.apply(chunks.file("one/" + Integer.toOctalString(m), bytes("o" + m, 100), m, 1_600_000_000_000_000_000L), chunks);
      batch.add(chunks.file("many/" + Integer.toOctalString(m), bytes("m" + m, 100), m, 1_600_000_000_000_000_000L));
    }
    for (int i = 0; i < Batch.SYNCFS_FROM; i++) { // enough small files for the batch path with syncfs
      batch.add(chunks.file("many/pad" + i, bytes("p" + i, 100), 0644, 0));
    }
    applier.applyAll(batch, chunks);

    for (int m : modes) {
      for (String dir : List.of("one/", "many/")) {
        Path p = root.resolve(dir + Integer.toOctalString(m));
        assertThat((Integer) Files.getAttribute(p, "unix:mode", LinkOption.NOFOLLOW_LINKS) & 07777).as(p.toString()).isEqualTo(m);
        assertThat(Files.getLastModifiedTime(p).to(TimeUnit.NANOSECONDS)).isEqualTo(1_600_000_000_000_000_000L);
      }
    }
    assertThat(tempsUnder(root)).isEmpty();
  }

  @Test
  void setuidAndSetgidAreDroppedFromDirectoriesToo() throws Exception {
    applier.apply(new FileEntry("shared", Kind.DIR, 0, 1_700_000_000_000_000_000L, 02775, "", List.of()), chunks);
    assertThat((Integer) Files.getAttribute(root.resolve("shared"), "unix:mode") & 07777).isEqualTo(0775);
    Files.setAttribute(root.resolve("shared"), "unix:mode", 0700); // metadata only: fixed as unchanged
    applier.apply(new FileEntry("shared", Kind.DIR, 0, 1_700_000_000_000_000_000L, 06775, "", List.of()), chunks);
    assertThat((Integer) Files.getAttribute(root.resolve("shared"), "unix:mode") & 07777).isEqualTo(0775);
  }

  @Test
  void cleanReplaceLeavesNoConflictCopy() throws Exception {
    applier.apply(chunks.file("f.txt", bytes("old", 5000)), chunks);
    Outcome o = applier.apply(chunks.file("f.txt", bytes("new", 7000)), chunks);

    assertThat(o.action()).isEqualTo(Action.REPLACED);
    assertThat(o.conflictCopy()).isEmpty();
    assertThat(o.version()).isEmpty();
    assertThat(Files.readAllBytes(root.resolve("f.txt"))).isEqualTo(bytes("new", 7000));
    assertThat(names(root)).containsExactly("f.txt");
    assertThat(events).isEmpty();
  }

  @Test
  void localEditIsKeptAsAConflictCopyAndTheIncomingContentApplied() throws Exception {
    applier.apply(chunks.file("docs/report.pdf", bytes("v1", 5000)), chunks);
    Files.write(root.resolve("docs/report.pdf"), "edited on the replica".getBytes(UTF_8));

    Outcome o = applier.apply(chunks.file("docs/report.pdf", bytes("v2", 5000)), chunks);

    assertThat(o.conflictCopy()).contains("docs/report.sync-conflict-20260304-050607-n2.pdf");
    assertThat(Files.readString(root.resolve(o.conflictCopy().get()))).isEqualTo("edited on the replica");
    assertThat(Files.readAllBytes(root.resolve("docs/report.pdf"))).isEqualTo(bytes("v2", 5000));
    assertThat(events).singleElement().satisfies(e -> {
      assertThat(e.level()).isEqualTo(Level.WARNING);
      assertThat(e.kind()).isEqualTo("file-conflict");
      assertThat(e.message()).contains("docs/report.pdf").contains(o.conflictCopy().get());
    });
  }

  @Test
  void aFileTheBaselineDoesNotKnowIsALocalChange() throws Exception {
    Files.writeString(root.resolve("x"), "made here");
    Outcome o = applier.apply(chunks.file("x", bytes("primary", 10)), chunks);
    assertThat(o.conflictCopy()).isPresent();
    assertThat(Files.readString(root.resolve(o.conflictCopy().get()))).isEqualTo("made here");
  }

  @Test
  void twoConflictsInTheSameSecondGetTwoNames() throws Exception {
    Files.writeString(root.resolve("x"), "first");
    Outcome a = applier.apply(chunks.file("x", bytes("p1", 10)), chunks);
    Files.writeString(root.resolve("x"), "second");
    Outcome b = applier.apply(chunks.file("x", bytes("p2", 10)), chunks);
    assertThat(a.conflictCopy()).isNotEqualTo(b.conflictCopy());
    assertThat(Files.readString(root.resolve(a.conflictCopy().get()))).isEqualTo("first");
    assertThat(Files.readString(root.resolve(b.conflictCopy().get()))).isEqualTo("second");
  }

  @Test
  void identicalLocalContentOnlyGetsItsMetadataFixed() throws Exception {
    byte[] content = bytes("same", 9000);
    Files.write(root.resolve("s"), content);
    long inode = Lstat.of(root.resolve("s")).stat().inode();

    Outcome o = applier.apply(chunks.file("s", content, 0600, 1_500_000_000_000_000_000L), chunks);

    assertThat(o.action()).isEqualTo(Action.UNCHANGED);
    assertThat(Lstat.of(root.resolve("s")).stat().inode()).isEqualTo(inode);
    assertThat(Files.getLastModifiedTime(root.resolve("s"))).isEqualTo(FileTime.from(1_500_000_000L, TimeUnit.SECONDS));
    assertThat(baseline.recorded("s")).isNotNull();
    assertThat(events).isEmpty();
  }

  @Test
  void versionsAreKeptOnReplaceAndDeleteAndExpireByTheirNameTime() throws Exception {
    applier = new Applier(root, baseline, ApplierOptions.of("n2").withClock(clock).withKeepVersions(Duration.ofDays(7)));
    applier.apply(chunks.file("d/f.txt", bytes("v1", 100)), chunks);
    Outcome replaced = applier.apply(chunks.file("d/f.txt", bytes("v2", 100)), chunks);
    clock.advance(Duration.ofDays(3));
    Outcome deleted = applier.delete("d/f.txt");

    assertThat(replaced.version()).contains(".tandem-versions/d/f.txt~20260304-050607");
    assertThat(deleted.version()).contains(".tandem-versions/d/f.txt~20260307-050607");
    assertThat(Files.readAllBytes(root.resolve(replaced.version().get()))).isEqualTo(bytes("v1", 100));
    assertThat(Files.readAllBytes(root.resolve(deleted.version().get()))).isEqualTo(bytes("v2", 100));
    assertThat(root.resolve("d/f.txt")).doesNotExist();

    clock.advance(Duration.ofDays(5)); // the first is 8 days old, the second 5
    assertThat(applier.expireVersions()).isEqualTo(1);
    assertThat(root.resolve(replaced.version().get())).doesNotExist();
    assertThat(root.resolve(deleted.version().get())).exists();

    clock.advance(Duration.ofDays(3));
    assertThat(applier.expireVersions()).isEqualTo(1);
    assertThat(root.resolve(".tandem-versions/d")).doesNotExist(); // empty dirs go too
  }

  @Test
  void deleteOfALocallyChangedFileKeepsItsDataAsAConflictCopy() throws Exception {
    applier.apply(chunks.file("f", bytes("v1", 100)), chunks);
    Files.writeString(root.resolve("f"), "local");
    Outcome o = applier.delete("f");
    assertThat(o.action()).isEqualTo(Action.DELETED);
    assertThat(root.resolve("f")).doesNotExist();
    assertThat(Files.readString(root.resolve(o.conflictCopy().orElseThrow()))).isEqualTo("local");
    assertThat(baseline.recorded("f")).isNull();
  }

  @Test
  void deleteRemovesAnEmptyDirAndKeepsOneWithLocalFiles() throws Exception {
    applier.apply(Chunks.dir("empty"), chunks);
    applier.apply(Chunks.dir("full"), chunks);
    Files.writeString(root.resolve("full/mine"), "local");

    assertThat(applier.delete("empty").action()).isEqualTo(Action.DELETED);
    assertThat(applier.delete("full").action()).isEqualTo(Action.KEPT_NOT_EMPTY);
    assertThat(applier.delete("nothing/here").action()).isEqualTo(Action.ABSENT);
    assertThat(root.resolve("empty")).doesNotExist();
    assertThat(Files.readString(root.resolve("full/mine"))).isEqualTo("local");
    assertThat(events).singleElement().satisfies(e -> assertThat(e.message()).contains("full"));
  }

  @Test
  void symlinksAreReplicatedAsLinksAndNeverFollowed() throws Exception {
    Path outside = Files.createDirectory(tmp.resolve("outside"));
    Files.writeString(outside.resolve("secret"), "keep me");

    applier.apply(Chunks.link("l", outside.resolve("secret").toString()), chunks);
    assertThat(Files.isSymbolicLink(root.resolve("l"))).isTrue();
    assertThat(Files.readSymbolicLink(root.resolve("l"))).isEqualTo(outside.resolve("secret"));
    assertThat(applier.apply(Chunks.link("l", outside.resolve("secret").toString()), chunks).action()).isEqualTo(Action.UNCHANGED);

    // A file entry at the link's path replaces the link; the target outside is untouched.
    Outcome o = applier.apply(chunks.file("l", bytes("new", 10)), chunks);
    assertThat(o.action()).isEqualTo(Action.REPLACED);
    assertThat(Files.isSymbolicLink(root.resolve("l"))).isFalse();
    assertThat(Files.readString(outside.resolve("secret"))).isEqualTo("keep me");

    // Deleting a link removes the link, not its target.
    applier.apply(Chunks.link("l2", outside.resolve("secret").toString()), chunks);
    applier.delete("l2");
    assertThat(Files.exists(root.resolve("l2"), LinkOption.NOFOLLOW_LINKS)).isFalse();
    assertThat(Files.readString(outside.resolve("secret"))).isEqualTo("keep me");
  }

  @Test
  void kindChangesReplaceTheOldPath() throws Exception {
    applier.apply(chunks.file("k", bytes("file", 10)), chunks);
    assertThat(applier.apply(Chunks.dir("k"), chunks).action()).isEqualTo(Action.REPLACED);
    assertThat(Files.isDirectory(root.resolve("k"), LinkOption.NOFOLLOW_LINKS)).isTrue();

    assertThat(applier.apply(Chunks.link("k", "elsewhere"), chunks).action()).isEqualTo(Action.REPLACED);
    assertThat(Files.readSymbolicLink(root.resolve("k")).toString()).isEqualTo("elsewhere");

    assertThat(applier.apply(chunks.file("k", bytes("file again", 10)), chunks).action()).isEqualTo(Action.REPLACED);
    assertThat(Files.readAllBytes(root.resolve("k"))).isEqualTo(bytes("file again", 10));
    assertThat(names(root)).containsExactly("k"); // clean each time: no conflict copies
  }

  @Test
  void aDirectoryWithLocalFilesReplacedByAFileIsKeptAsAConflictCopy() throws Exception {
    applier.apply(Chunks.dir("d"), chunks);
    Files.writeString(root.resolve("d/local.txt"), "mine");
    Outcome o = applier.apply(chunks.file("d", bytes("file", 10)), chunks);
    assertThat(Files.readAllBytes(root.resolve("d"))).isEqualTo(bytes("file", 10));
    assertThat(Files.readString(root.resolve(o.conflictCopy().orElseThrow()).resolve("local.txt"))).isEqualTo("mine");
  }

  @Test
  void aLocalFileReplacedByADirectoryIsKeptAsAConflictCopy() throws Exception {
    Files.writeString(root.resolve("d"), "mine");
    Outcome o = applier.apply(Chunks.dir("d"), chunks);
    assertThat(Files.isDirectory(root.resolve("d"))).isTrue();
    assertThat(Files.readString(root.resolve(o.conflictCopy().orElseThrow()))).isEqualTo("mine");
  }

  @Test
  void chunkRangesOfALocalFileAreCopied() throws Exception {
    byte[] content = bytes("range", 20_000);
    Path local = Files.write(root.resolve("src.bin"), content);
    FileEntry e = chunks.file("copy.bin", content);
    long[] offset = {0};
    Outcome o = applier.apply(e, c -> {
      ChunkData d = new ChunkData.Range(local, offset[0], c.length());
      offset[0] += c.length();
      return d;
    });
    assertThat(o.action()).isEqualTo(Action.CREATED);
    assertThat(Files.readAllBytes(root.resolve("copy.bin"))).isEqualTo(content);
  }

  @Test
  void anEntryWhoseChunksDoNotAddUpIsRefusedBeforeWriting() {
    FileEntry e = chunks.file("bad", bytes("x", 100));
    FileEntry lying = new FileEntry("bad", Kind.FILE, 999, 0, 0644, "", e.chunks());
    assertThatThrownBy(() -> applier.apply(lying, chunks)).hasMessageContaining("chunks add up to 100 bytes but its size is 999");
    assertThat(root.resolve("bad")).doesNotExist();
  }

  @Test
  void hostilePathEmitsACriticalEventAndWritesNothing() {
    assertThatThrownBy(() -> applier.apply(chunks.file("../escape", bytes("x", 1)), chunks))
        .isInstanceOf(HostilePathException.class).hasMessageContaining("'..'");
    assertThat(events).singleElement().satisfies(e -> {
      assertThat(e.kind()).isEqualTo("hostile-path");
      assertThat(e.level()).isEqualTo(Level.CRITICAL);
    });
    assertThat(tmp.resolve("escape")).doesNotExist();
  }

  @Test
  void ownerIsGivenToNewFilesAndDirs() throws Exception {
    Owner nobody = Owner.lookup("nobody:nogroup", root.getFileSystem());
    applier = new Applier(root, baseline, ApplierOptions.of("n2").withOwner(nobody));
    applier.apply(chunks.file("o/f", bytes("x", 10)), chunks);
    applier.apply(Chunks.link("o/l", "f"), chunks);
    for (String p : List.of("o", "o/f", "o/l")) {
      assertThat(Files.getOwner(root.resolve(p), LinkOption.NOFOLLOW_LINKS).getName()).as(p).isEqualTo("nobody");
    }
  }

  @Test
  void anUnknownOwnerIsRefusedAtStart() {
    assertThatThrownBy(() -> Owner.lookup("no-such-user-xyz:nogroup", root.getFileSystem()))
        .hasMessageContaining("no user named 'no-such-user-xyz'");
    assertThatThrownBy(() -> Owner.lookup("justuser", root.getFileSystem())).hasMessageContaining("user:group");
  }

  static byte[] bytes(String seed, int n) {
    byte[] b = new byte[n];
    byte[] s = seed.getBytes(UTF_8);
    for (int i = 0; i < n; i++) {
      b[i] = (byte) (s[i % s.length] + i / 7);
    }
    return b;
  }

  static List<String> names(Path dir) throws Exception {
    try (Stream<Path> s = Files.list(dir)) {
      return s.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }

  static List<Path> tempsUnder(Path root) throws Exception {
    try (Stream<Path> s = Files.walk(root)) {
      return s.filter(p -> p.getFileName().toString().startsWith(RelPath.TEMP_PREFIX)).toList();
    }
  }
}
