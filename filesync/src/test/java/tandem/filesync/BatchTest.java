package tandem.filesync;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static tandem.filesync.ApplierTest.bytes;
import static tandem.filesync.ApplierTest.tempsUnder;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tandem.filesync.Outcome.Action;

class BatchTest {
  @TempDir Path root;
  final MapBaseline baseline = new MapBaseline();
  final Chunks chunks = new Chunks();

  @Test
  void appliesDirsFilesAndLinksAndRecordsEachOnce() throws Exception {
    Applier applier = new Applier(root, baseline, ApplierOptions.of("n2").withFsyncThreads(8));
    List<FileEntry> entries = new ArrayList<>();
    for (int i = 0; i < 500; i++) {
      entries.add(chunks.file("d" + i % 10 + "/f" + i, bytes("f" + i, 1 + i * 37 % 16_000)));
    }
    entries.add(Chunks.link("d0/link", "f0"));
    entries.add(Chunks.dir("d3")); // after its files in the list: still created first, its mtime set last

    List<Outcome> outcomes = applier.applyAll(entries, chunks);

    assertThat(outcomes).extracting(Outcome::path).containsExactlyElementsOf(entries.stream().map(FileEntry::path).toList());
    assertThat(outcomes).extracting(Outcome::action).containsOnly(Action.CREATED);
    for (int i = 0; i < 500; i++) {
      assertThat(Files.readAllBytes(root.resolve("d" + i % 10 + "/f" + i))).isEqualTo(bytes("f" + i, 1 + i * 37 % 16_000));
    }
    assertThat(Files.readSymbolicLink(root.resolve("d0/link")).toString()).isEqualTo("f0");
    assertThat(Files.getLastModifiedTime(root.resolve("d3")).to(TimeUnit.NANOSECONDS)).isEqualTo(Chunks.dir("d3").mtimeNanos());
    assertThat(baseline.records).hasSize(502);
    assertThat(tempsUnder(root)).isEmpty();
  }

  @Test
  void newNestedDirectories_forSmallFilesAndABigOne_areMadeWithTheirModeAndHoldEveryFile() throws Exception {
    Applier applier = new Applier(root, baseline, ApplierOptions.of("n2"));
    // Small files only: the batch takes the syncfs path.
    List<FileEntry> small = new ArrayList<>();
    for (int i = 0; i < 60; i++) {
      small.add(chunks.file("s/" + i % 4 + "/" + i % 3 + "/f" + i, bytes("s" + i, 100 + i)));
    }
    applier.applyAll(small, chunks);
    // With a big file in the batch, which is renamed as soon as its own fsync returns, before the others.
    List<FileEntry> mixed = new ArrayList<>();
    for (int i = 0; i < 30; i++) {
      mixed.add(chunks.file("m/" + i % 5 + "/f" + i, bytes("m" + i, 100 + i)));
    }
    mixed.add(chunks.file("m/big/deep/b", bytes("big", (1 << 20) + 1)));
    applier.applyAll(mixed, chunks);

    for (int i = 0; i < 60; i++) {
      assertThat(Files.readAllBytes(root.resolve("s/" + i % 4 + "/" + i % 3 + "/f" + i))).isEqualTo(bytes("s" + i, 100 + i));
    }
    for (int i = 0; i < 30; i++) {
      assertThat(Files.readAllBytes(root.resolve("m/" + i % 5 + "/f" + i))).isEqualTo(bytes("m" + i, 100 + i));
    }
    assertThat(Files.readAllBytes(root.resolve("m/big/deep/b"))).isEqualTo(bytes("big", (1 << 20) + 1));
    for (String d : List.of("s", "s/0", "s/3/2", "m", "m/4", "m/big", "m/big/deep")) {
      assertThat(java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(root.resolve(d))))
          .as(d).isEqualTo("rwxr-xr-x");
    }
    assertThat(baseline.records).hasSize(91);
    assertThat(tempsUnder(root)).isEmpty();
  }

  @Test
  void conflictsAndUnchangedFilesAreHandledAsInApply() throws Exception {
    Applier applier = new Applier(root, baseline, ApplierOptions.of("n2"));
    applier.applyAll(List.of(chunks.file("a", bytes("a1", 100)), chunks.file("b", bytes("b1", 100)),
        chunks.file("c", bytes("c1", 100))), chunks);
    Files.writeString(root.resolve("b"), "local edit");

    List<Outcome> o = applier.applyAll(List.of(chunks.file("a", bytes("a2", 100)), chunks.file("b", bytes("b2", 100)),
        chunks.file("c", bytes("c1", 100))), chunks);

    assertThat(o).extracting(Outcome::action).containsExactly(Action.REPLACED, Action.REPLACED, Action.UNCHANGED);
    assertThat(o.get(0).conflictCopy()).isEmpty();
    assertThat(Files.readString(root.resolve(o.get(1).conflictCopy().orElseThrow()))).isEqualTo("local edit");
    assertThat(Files.readAllBytes(root.resolve("b"))).isEqualTo(bytes("b2", 100));
  }

  @Test
  void oneHostilePathRefusesTheWholeBatchBeforeAnythingIsWritten() throws Exception {
    Applier applier = new Applier(root, baseline, ApplierOptions.of("n2"));
    List<FileEntry> entries = List.of(chunks.file("ok", bytes("x", 10)), chunks.file("a/../../evil", bytes("x", 10)));
    assertThatThrownBy(() -> applier.applyAll(entries, chunks)).isInstanceOf(HostilePathException.class);
    assertThat(root.resolve("ok")).doesNotExist();
  }

  @Test
  void aPathTwiceInOneBatch_theLaterVersionWins_withoutAConflictCopyOfTheEarlier() throws Exception {
    Applier applier = new Applier(root, baseline, ApplierOptions.of("n2"));
    applier.applyAll(List.of(chunks.file("shared.txt", bytes("v0", 50))), chunks);
    List<FileEntry> entries = new ArrayList<>();
    entries.add(chunks.file("shared.txt", new byte[0])); // read by the primary while it was being rewritten
    for (int i = 0; i < 20; i++) {
      entries.add(chunks.file("other" + i, bytes("o" + i, 10))); // enough small files for the syncfs path
    }
    entries.add(chunks.file("shared.txt", bytes("v2", 60)));

    List<Outcome> o = applier.applyAll(entries, chunks);

    assertThat(o).extracting(Outcome::conflictCopy).allMatch(java.util.Optional::isEmpty);
    assertThat(Files.readAllBytes(root.resolve("shared.txt"))).isEqualTo(bytes("v2", 60));
    try (var names = Files.list(root)) {
      assertThat(names.map(p -> p.getFileName().toString())).noneMatch(n -> n.contains("sync-conflict"));
    }
    assertThat(tempsUnder(root)).isEmpty();
  }

  @Test
  void aParentThatIsALinkOutOfTheRoot_isRefusedInABatchToo_andNothingLandsOutside(@TempDir Path outside) throws Exception {
    Applier applier = new Applier(root, baseline, ApplierOptions.of("n2"));
    Files.createSymbolicLink(root.resolve("link"), outside);
    List<FileEntry> entries = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      entries.add(chunks.file("real/f" + i, bytes("r" + i, 10))); // parents checked once for the batch
    }
    entries.add(chunks.file("link/evil", bytes("x", 10)));

    assertThatThrownBy(() -> applier.applyAll(entries, chunks)).isInstanceOf(HostilePathException.class);
    try (var files = Files.list(outside)) {
      assertThat(files.toList()).isEmpty();
    }
    assertThat(tempsUnder(root)).isEmpty();
  }
}
