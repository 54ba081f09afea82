package tandem.filesync;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class IndexTest {
  @TempDir Path dir;

  static Hash hash(long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    return new Hash(r.nextLong(), r.nextLong(), r.nextLong(), r.nextLong());
  }

  static FileEntry file(String path, int... chunkSeeds) {
    List<ChunkRef> chunks = new ArrayList<>();
    long size = 0;
    for (int seed : chunkSeeds) {
      chunks.add(new ChunkRef(hash(seed), 1000 + seed));
      size += 1000 + seed;
    }
    return new FileEntry(path, Kind.FILE, size, 1_700_000_000_123_456_789L, 0644, "", chunks);
  }

  static FileEntry dir(String path) {
    return new FileEntry(path, Kind.DIR, 0, 1_700_000_000_000_000_001L, 0755, "", List.of());
  }

  static LocalStat stat(long inode) {
    return new LocalStat(inode, 1_700_000_000_000_000_002L, 4096, 1_700_000_000_000_000_003L);
  }

  @Test
  void putThenRecorded_returnsWhatWasPut_andReplaceForgetsTheOldVersion() {
    Index index = new Index();
    FileEntry v1 = file("a/f", 1, 2);
    FileEntry v2 = file("a/f", 3);
    index.put(v1, stat(1), false);
    assertThat(index.recorded("a/f")).isEqualTo(new Recorded(v1, stat(1), false));

    index.applied(v2, stat(2));
    assertThat(index.recorded("a/f")).isEqualTo(new Recorded(v2, stat(2), true));
    assertThat(index.size()).isEqualTo(1);
    assertThat(index.totalBytes()).isEqualTo(1003);
    assertThat(index.locate(hash(1))).isEmpty();
    assertThat(index.locatedChunks()).isEqualTo(1);

    index.removed("a/f");
    assertThat(index.recorded("a/f")).isNull();
    assertThat(index.totalBytes()).isZero();
    assertThat(index.locatedChunks()).isZero();
  }

  @Test
  void setSynced_onlyWhenTheIndexStillHoldsThatVersion() {
    Index index = new Index();
    FileEntry sent = file("f", 1);
    index.put(sent, stat(1), false);
    index.put(file("f", 2), stat(2), false); // changed again while the first version was in flight

    assertThat(index.setSynced("f", sent)).isFalse();
    assertThat(index.recorded("f").synced()).isFalse();
    assertThat(index.setSynced("f", file("f", 2))).isTrue();
    assertThat(index.recorded("f").synced()).isTrue();
    assertThat(index.setSynced("gone", sent)).isFalse();
  }

  @Test
  void removeUnder_removesDescendantsOnly_childrenFirst() {
    Index index = new Index();
    for (String p : List.of("a", "a/b", "a/b/c", "a/d", "a-b", "a.x", "ab", "a0")) {
      index.put(p.equals("a/b/c") || p.equals("a/d") ? file(p, p.length()) : dir(p), stat(1), true);
    }
    List<String> removed = index.removeUnder("a");

    assertThat(removed).containsExactly("a/d", "a/b/c", "a/b");
    assertThat(index.children("")).containsExactly("a", "a-b", "a.x", "a0", "ab");
    assertThat(index.locatedChunks()).isZero();
    assertThat(index.removeUnder("")).hasSize(5);
    assertThat(index.size()).isZero();
  }

  @Test
  void children_listsDirectChildrenOnly_evenWhenTheirParentsAreMissing() {
    Index index = new Index();
    for (String p : List.of("d", "d/x", "d/x/1", "d/x/2", "d/x-y", "d/x-y/z", "d/y", "orphan/deep/file", "top")) {
      index.put(dir(p), stat(1), true);
    }
    assertThat(index.children("")).containsExactly("d", "orphan", "top");
    assertThat(index.children("d")).containsExactly("x", "x-y", "y");
    assertThat(index.children("d/x")).containsExactly("1", "2");
    assertThat(index.children("orphan")).containsExactly("deep");
    assertThat(index.children("d/y")).isEmpty();
  }

  @Test
  void pageAndForEach_walkInPathOrder() {
    Index index = new Index();
    for (String p : List.of("b", "a/z", "a", "c/d", "a-1")) {
      index.put(dir(p), stat(1), true);
    }
    List<String> all = new ArrayList<>();
    index.forEach(r -> all.add(r.entry().path()));
    assertThat(all).containsExactly("a", "a-1", "a/z", "b", "c/d");
    assertThat(index.page(null, 2)).extracting(r -> r.entry().path()).containsExactly("a", "a-1");
    assertThat(index.page("a-1", 2)).extracting(r -> r.entry().path()).containsExactly("a/z", "b");
    assertThat(index.page("c/d", 2)).isEmpty();
  }

  @Test
  void locate_findsOffsetAndLength_keepsOtherHolders_andPrefersSynced() {
    Index index = new Index();
    index.put(file("x", 1, 2, 3), stat(1), false);
    index.put(file("y", 3), stat(2), true);

    assertThat(index.locate(hash(2))).contains(new ChunkLocation("x", 1001, 1002));
    assertThat(index.locate(hash(3))).contains(new ChunkLocation("y", 0, 1003));
    index.removed("y");
    assertThat(index.locate(hash(3))).contains(new ChunkLocation("x", 2003, 1003));
    assertThat(index.locate(hash(9))).isEmpty();
  }

  @Test
  void locate_ignoresAChunkWhoseFirstEightBytesCollide() {
    Index index = new Index();
    Hash real = hash(1);
    index.put(new FileEntry("f", Kind.FILE, 10, 0, 0644, "", List.of(new ChunkRef(real, 10))), stat(1), true);
    assertThat(index.locate(new Hash(real.a(), real.b() + 1, real.c(), real.d()))).isEmpty();
    assertThat(index.locate(real)).isPresent();
  }

  @Test
  void locator_staysConsistentThroughManyRandomPutsAndRemoves() {
    // Backward-shift deletion is easy to get wrong; compare against a plain map.
    Index index = new Index();
    Map<String, Integer> model = new HashMap<>();
    SplittableRandom r = new SplittableRandom(5);
    for (int i = 0; i < 20_000; i++) {
      String path = "p" + r.nextInt(500);
      if (r.nextInt(3) == 0) {
        index.removed(path);
        model.remove(path);
      } else {
        int seed = r.nextInt(2000);
        index.put(file(path, seed, seed + 1), stat(i), true);
        model.put(path, seed);
      }
    }
    assertThat(index.locatedChunks()).isEqualTo(model.size() * 2);
    model.forEach((path, seed) -> {
      assertThat(index.locate(hash(seed))).isPresent();
      assertThat(index.locate(hash(seed + 1))).isPresent();
    });
    assertThat(index.size()).isEqualTo(model.size());
  }

  @Test
  void saveThenLoad_givesTheSameIndex() throws IOException {
    Index index = new Index();
    index.put(dir("d"), stat(1), true);
    index.put(file("d/é f", 1, 2), stat(2), false);
    index.put(new FileEntry("d/link", Kind.SYMLINK, 0, 0, 0, "../target", List.of()), stat(3), true);
    index.put(file("d/empty"), stat(4), true);
    Path file = dir.resolve("index");

    index.save(file);
    index.save(file); // over an existing file
    Index loaded = Index.load(file);

    List<Recorded> expected = new ArrayList<>();
    index.forEach(expected::add);
    assertThat(loaded.page(null, 10)).isEqualTo(expected);
    assertThat(loaded.locate(hash(2))).contains(new ChunkLocation("d/é f", 1001, 1002));
    assertThat(loaded.totalBytes()).isEqualTo(index.totalBytes());
    try (var files = Files.list(dir)) {
      assertThat(files).containsExactly(file); // no temporary file left behind
    }
  }

  @Test
  void truncatedOrDamagedFile_isRejected_withAMessageSayingAFullScanRebuildsIt() throws IOException {
    Index index = new Index();
    for (int i = 0; i < 100; i++) {
      index.put(file("f" + i, i), stat(i), true);
    }
    Path file = dir.resolve("index");
    index.save(file);
    byte[] good = Files.readAllBytes(file);

    Files.write(file, java.util.Arrays.copyOf(good, good.length - 9));
    assertThatThrownBy(() -> Index.load(file)).isInstanceOf(CorruptIndexException.class)
        .hasMessageContaining(file.toString()).hasMessageContaining("truncated")
        .hasMessageContaining("rebuilt by a full scan");

    byte[] flipped = good.clone();
    flipped[good.length / 2] ^= 0x10;
    Files.write(file, flipped);
    assertThatThrownBy(() -> Index.load(file)).isInstanceOf(CorruptIndexException.class)
        .hasMessageContaining(file.toString());

    byte[] newer = good.clone();
    newer[11] = 2; // the version's low byte
    Files.write(file, newer);
    assertThatThrownBy(() -> Index.load(file)).hasMessageContaining("version 2");

    assertThatThrownBy(() -> Index.load(dir.resolve("missing"))).isInstanceOf(NoSuchFileException.class);
  }
}
