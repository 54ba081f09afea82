package tandem.filesync;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import java.io.IOException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The replica's chunk fetching for a batch, against a scripted primary that answers requests in
 * order (as the real one does): what is asked, how far ahead, and what the applier gets back.
 */
class PrefetchTest {
  private final Map<Hash, byte[]> primaryChunks = new HashMap<>();
  private final Set<String> gonePaths = new java.util.HashSet<>();
  private final ArrayDeque<long[]> pendingRequests = new ArrayDeque<>();
  private final Map<Long, List<Hash>> asked = new HashMap<>();
  private final List<String> askedPaths = new ArrayList<>();
  private long nextRequest;
  private long maxOutstanding;
  private long outstanding;
  private final Random random = new Random(3);

  private ChunkRef chunk(int size) {
    byte[] b = new byte[size];
    random.nextBytes(b);
    Hash h = Hash.of(b, 0, b.length);
    primaryChunks.put(h, b);
    return new ChunkRef(h, size);
  }

  private static FileEntry file(String path, ChunkRef... chunks) {
    long size = Arrays.stream(chunks).mapToLong(ChunkRef::length).sum();
    return new FileEntry(path, Kind.FILE, size, 1L, 0644, "", List.of(chunks));
  }

  private Prefetch prefetch(Map<Hash, ChunkData> local, List<FileEntry> files) {
    return new Prefetch("n1", local, files, (path, hashes) -> {
      long r = ++nextRequest;
      asked.put(r, hashes);
      askedPaths.add(path);
      pendingRequests.add(new long[] {r, gonePaths.contains(path) ? 1 : 0});
      for (Hash h : hashes) {
        outstanding += primaryChunks.get(h).length;
      }
      maxOutstanding = Math.max(maxOutstanding, outstanding);
      return r;
    }, () -> {
      long[] next = pendingRequests.poll();
      if (next == null) {
        throw new IOException("the test primary has nothing more to send");
      }
      List<Hash> hashes = asked.get(next[0]);
      for (Hash h : hashes) {
        outstanding -= primaryChunks.get(h).length;
      }
      if (next[1] == 1) {
        return new Prefetch.Reply(next[0], List.of(), true);
      }
      return new Prefetch.Reply(next[0], hashes.stream().map(h -> ByteString.copyFrom(primaryChunks.get(h))).toList(), false);
    }, bytes -> {});
  }

  private static byte[] bytes(ChunkData d) {
    return switch (d) {
      case ChunkData.Bytes b -> Arrays.copyOfRange(b.data(), b.offset(), b.offset() + b.length());
      case ChunkData.Buffer b -> {
        byte[] out = new byte[b.length()];
        b.data().duplicate().get(out);
        yield out;
      }
      case ChunkData.Range r -> throw new AssertionError("a local range where fetched bytes were expected");
    };
  }

  private void readAll(Prefetch p, FileEntry f) throws Exception {
    p.starting(f);
    for (ChunkRef c : f.chunks()) {
      assertThat(bytes(p.read(c))).as("chunk of " + f.path()).isEqualTo(primaryChunks.get(c.hash()));
    }
  }

  @Test
  void chunksSharedByFilesOfABatch_areAskedForOnce_andLocalOnesNever() throws Exception {
    ChunkRef a1 = chunk(1000);
    ChunkRef a2 = chunk(2000);
    ChunkRef b1 = chunk(3000);
    ChunkRef mine = chunk(4000);
    FileEntry a = file("a", a1, a2);
    FileEntry b = file("b", b1, a1, a1);
    FileEntry c = file("c", mine, a2);
    Map<Hash, ChunkData> local = new HashMap<>(Map.of(mine.hash(), new ChunkData.Bytes(primaryChunks.get(mine.hash()), 0, 4000)));
    Prefetch p = prefetch(local, List.of(a, b, c));

    readAll(p, a);
    readAll(p, b);
    readAll(p, c);
    p.drain();

    List<Hash> all = asked.values().stream().flatMap(List::stream).toList();
    assertThat(all).containsExactlyInAnyOrder(a1.hash(), a2.hash(), b1.hash());
  }

  @Test
  void theNextFilesChunksAreAskedForBeforeTheFirstFileIsDone_upToTheBudget() throws Exception {
    List<FileEntry> files = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      files.add(file("f" + i, chunk(4 << 20), chunk(4 << 20)));
    }
    Prefetch p = prefetch(new HashMap<>(), files);

    p.starting(files.get(0));
    p.read(files.get(0).chunks().get(0));

    assertThat(askedPaths).as("asked ahead, across files").contains("f1", "f2");
    assertThat(maxOutstanding).isLessThanOrEqualTo(Prefetch.AHEAD_BYTES + Prefetch.REQUEST_BYTES);
    p.read(files.get(0).chunks().get(1));
    for (FileEntry f : files.subList(1, files.size())) {
      readAll(p, f);
    }
    p.drain();
    assertThat(maxOutstanding).isLessThanOrEqualTo(Prefetch.AHEAD_BYTES + Prefetch.REQUEST_BYTES);
  }

  @Test
  void aSkippedFilesChunks_areStillFetchedForTheLaterFileThatNeedsThem() throws Exception {
    ChunkRef shared = chunk(5000);
    ChunkRef only = chunk(6000);
    FileEntry a = file("a", only, shared);
    FileEntry b = file("b", shared);
    Prefetch p = prefetch(new HashMap<>(), List.of(a, b));

    p.skipped(a);
    readAll(p, b);
    p.drain();

    assertThat(asked.values().stream().flatMap(List::stream)).contains(shared.hash());
  }

  @Test
  void aFileThePrimaryCouldNotSend_failsAlone_andItsSharedChunkIsAskedForAgainUnderTheNextFile() throws Exception {
    ChunkRef shared = chunk(5000);
    FileEntry a = file("a", chunk(7000), shared);
    FileEntry b = file("b", shared, chunk(100));
    gonePaths.add("a");
    Prefetch p = prefetch(new HashMap<>(), List.of(a, b));

    p.starting(a);
    assertThatThrownBy(() -> p.read(a.chunks().get(0))).isInstanceOf(FileGoneException.class);
    readAll(p, b);
    p.drain();

    assertThat(askedPaths).containsSubsequence("a", "b");
  }

  @Test
  void aChunkThatDoesNotMatchItsHash_isRefused() {
    ChunkRef c = chunk(1000);
    FileEntry a = file("a", c);
    Prefetch p = prefetch(new HashMap<>(), List.of(a));
    primaryChunks.put(c.hash(), new byte[1000]); // the primary sends other bytes

    p.starting(a);
    assertThatThrownBy(() -> p.read(c)).isInstanceOf(IOException.class).hasMessageContaining("does not match its hash");
  }
}
