package tandem.backup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * How packs are named (docs/backup-format.md): format 2 by the SHA-256 of its blobs' sealed lengths and tags, format 1
 * by the SHA-256 of the whole file; both are read, written, verified and pruned, each its own way.
 */
class PackFormatTest {
  @TempDir Path tmp;

  private static String sha256(byte[] b, int offset, int length) throws Exception {
    MessageDigest sha = MessageDigest.getInstance("SHA-256");
    sha.update(b, offset, length);
    return HexFormat.of().formatHex(sha.digest());
  }

  /** Format 2's name of a pack, computed here from the format document, not with tandem's code. */
  private static String formatTwoName(byte[] pack, List<Model.IndexBlob> blobs) throws Exception {
    MessageDigest sha = MessageDigest.getInstance("SHA-256");
    for (Model.IndexBlob b : blobs) {
      int end = (int) (b.offset() + b.length());
      sha.update(java.nio.ByteBuffer.allocate(4).putInt(b.length()).array());
      sha.update(pack, end - 16, 16);
    }
    return HexFormat.of().formatHex(sha.digest());
  }

  /** Every pack an index lists, with its blobs in pack order. */
  private static Map<String, List<Model.IndexBlob>> packs(Repository repo) throws IOException {
    Map<String, List<Model.IndexBlob>> out = new TreeMap<>();
    for (String f : repo.list("index")) {
      for (Model.IndexPack p : repo.readIndex(f).packs()) {
        List<Model.IndexBlob> blobs = new ArrayList<>(p.blobs());
        blobs.sort(java.util.Comparator.comparingLong(Model.IndexBlob::offset));
        out.put(p.pack(), blobs);
      }
    }
    return out;
  }

  private Repository.StoredSnapshot backup(Repository repo, Path src) throws IOException {
    Backup.Result r = new Backup(repo, Backup.Progress.NONE).run("nightly", List.of(new Backup.Source("web", "files", src)));
    return repo.snapshot(r.snapshotId());
  }

  @Test
  void aNewRepository_isFormatTwo_andNamesEachPackByItsBlobsLengthsAndTags() throws Exception {
    Path src = Files.createDirectories(tmp.resolve("src"));
    BackupTest.populate(src, 21);
    Repository repo = BackupTest.fastInit(tmp.resolve("repo"));
    backup(repo, src);

    assertThat(Files.readString(tmp.resolve("repo/config"))).contains("\"version\" : 2");
    Map<String, List<Model.IndexBlob>> packs = packs(repo);
    assertThat(packs).isNotEmpty();
    for (var p : packs.entrySet()) {
      byte[] bytes = Files.readAllBytes(tmp.resolve("repo").resolve(Repository.packName(p.getKey())));
      Model.IndexBlob last = p.getValue().getLast();
      assertThat(last.offset() + last.length()).as("the blobs fill the pack").isEqualTo(bytes.length);
      assertThat(p.getKey()).isEqualTo(formatTwoName(bytes, p.getValue())).isNotEqualTo(sha256(bytes, 0, bytes.length));
    }
    assertThat(new Verify(repo).run(100, 1).problems()).isEmpty();
  }

  @Test
  void formatTwo_aChangedTagFailsTheName_andBytesAddedToAPackAreFound() throws Exception {
    Path src = Files.createDirectories(tmp.resolve("src"));
    BackupTest.populate(src, 22);
    Repository repo = BackupTest.fastInit(tmp.resolve("repo"));
    Repository.StoredSnapshot s = backup(repo, src);
    List<String> names = new ArrayList<>(packs(repo).keySet());
    assertThat(names).as("a pack to damage").isNotEmpty();
    String first = names.getFirst();
    Path firstFile = tmp.resolve("repo").resolve(Repository.packName(first));
    byte[] bytes = Files.readAllBytes(firstFile);
    bytes[bytes.length - 1] ^= 0x01; // the last blob's tag
    Files.write(firstFile, bytes);
    Files.write(firstFile, new byte[] {1, 2, 3, 4, 5, 6, 7}, StandardOpenOption.APPEND);

    List<String> problems = new Verify(Repository.open(tmp.resolve("repo"), BackupTest.PASSWORD)).run(100, 1).problems();

    String p12 = first.substring(0, 12);
    assertThat(problems).anyMatch(p -> p.startsWith("pack " + p12 + " does not hash to its name"));
    assertThat(problems).anyMatch(p -> p.contains("does not authenticate") && p.contains("(pack " + p12 + ")"));
    assertThat(problems).anyMatch(p -> p.startsWith("pack " + p12 + " holds 7 bytes that are in none of its blobs"));
    assertThat(problems).anyMatch(p -> p.startsWith("snapshot " + s.id().substring(0, 8)) && p.contains("is damaged at: web:"));
  }

  @Test
  void aFormatOneRepository_staysFormatOne_throughBackupPruneAndVerify() throws Exception {
    Path src = Files.createDirectories(tmp.resolve("src"));
    BackupTest.populate(src, 23);
    Path dir = tmp.resolve("repo");
    Repository repo = Repository.init(new LocalStore(dir), BackupTest.PASSWORD, 1024, 1, 1);
    Repository.StoredSnapshot old = backup(repo, src);
    try (Stream<Path> files = Files.walk(src)) {
      for (Path f : files.filter(p -> p.toString().endsWith(".bin")).limit(20).toList()) {
        Files.delete(f);
      }
    }
    Files.writeString(src.resolve("new.txt"), "written after the first backup");
    repo = Repository.open(dir, BackupTest.PASSWORD);
    Repository.StoredSnapshot kept = backup(repo, src);
    repo.deleteSnapshot(old.id());

    Prune.Result pruned = new Prune(repo).run(false);

    assertThat(pruned.packsRewritten() + pruned.packsDeleted()).as("prune wrote or dropped packs").isPositive();
    assertThat(Files.readString(dir.resolve("config"))).contains("\"version\" : 1");
    Repository again = Repository.open(dir, BackupTest.PASSWORD);
    for (String pack : packs(again).keySet()) {
      byte[] bytes = Files.readAllBytes(dir.resolve(Repository.packName(pack)));
      assertThat(pack).as("a format-1 pack is named by the SHA-256 of its bytes").isEqualTo(sha256(bytes, 0, bytes.length));
    }
    assertThat(new Verify(again).run(100, 1).problems()).isEmpty();
    new Restore(again).run(again.snapshot(kept.id()), "", tmp.resolve("restored"));
    assertThat(BackupTest.describe(tmp.resolve("restored"))).isEqualTo(BackupTest.describe(src));
  }

  @Test
  void aRepositoryOfANewerFormat_isRefused_withWhatToDo() throws IOException {
    Path dir = tmp.resolve("repo");
    BackupTest.fastInit(dir);
    Files.writeString(dir.resolve("config"), Files.readString(dir.resolve("config")).replace("\"version\" : 2", "\"version\" : 3"));

    assertThatThrownBy(() -> Repository.open(dir, BackupTest.PASSWORD)).isInstanceOf(CorruptException.class)
        .hasMessageContaining("format version 3; this tandem reads versions 1 to 2: use the newer tandem that made it");
  }
}
