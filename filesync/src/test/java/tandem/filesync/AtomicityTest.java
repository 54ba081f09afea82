package tandem.filesync;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static tandem.filesync.ApplierTest.bytes;
import static tandem.filesync.ApplierTest.tempsUnder;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AtomicityTest {
  private static final int BIG = 8 * 1024 * 1024;

  @TempDir Path root;
  final MapBaseline baseline = new MapBaseline();
  final Chunks chunks = new Chunks();
  Applier applier;
  byte[] old;
  FileEntry big;

  @BeforeEach
  void setUp() throws Exception {
    applier = new Applier(root, baseline, ApplierOptions.of("n2"));
    old = bytes("old", 100_000);
    applier.apply(chunks.file("big.bin", old), chunks);
    big = chunks.file("big.bin", bytes("new", BIG));
  }

  @Test
  void aReaderSeesOnlyTheOldContentWhileTheNewIsHalfWritten() throws Exception {
    CountDownLatch halfway = new CountDownLatch(1);
    CountDownLatch go = new CountDownLatch(1);
    ExecutorService pool = Executors.newSingleThreadExecutor();
    try {
      Future<Outcome> applying = pool.submit(() -> applier.apply(big, blockingAtHalf(halfway, go)));
      assertThat(halfway.await(30, TimeUnit.SECONDS)).isTrue();

      assertThat(Files.readAllBytes(root.resolve("big.bin"))).isEqualTo(old);
      assertThat(tempsUnder(root)).singleElement().satisfies(t -> assertThat(Files.size(t)).isPositive().isLessThan(BIG));

      go.countDown();
      applying.get(30, TimeUnit.SECONDS);
      assertThat(Files.readAllBytes(root.resolve("big.bin"))).isEqualTo(bytes("new", BIG));
      assertThat(tempsUnder(root)).isEmpty();
    } finally {
      go.countDown();
      pool.shutdownNow();
    }
  }

  @Test
  void interruptingMidFileKeepsTheOldFileAndLeavesNoTemp() throws Exception {
    CountDownLatch halfway = new CountDownLatch(1);
    CountDownLatch never = new CountDownLatch(1);
    AtomicReference<Throwable> failure = new AtomicReference<>();
    Thread t = Thread.ofPlatform().start(() -> {
      try {
        applier.apply(big, blockingAtHalf(halfway, never));
      } catch (Throwable e) {
        failure.set(e);
      }
    });
    assertThat(halfway.await(30, TimeUnit.SECONDS)).isTrue();
    t.interrupt();
    t.join(30_000);

    assertThat(failure.get()).isInstanceOf(InterruptedException.class);
    assertThat(Files.readAllBytes(root.resolve("big.bin"))).isEqualTo(old);
    assertThat(tempsUnder(root)).isEmpty();
  }

  @Test
  void aSourceFailingMidFileKeepsTheOldFileAndSaysWhich() throws Exception {
    int[] n = {0};
    ChunkSource failing = c -> {
      if (++n[0] == 1000) {
        throw new IOException("peer went away");
      }
      return chunks.read(c);
    };
    assertThatThrownBy(() -> applier.apply(big, failing))
        .hasMessageContaining("\"big.bin\"").hasMessageContaining("peer went away").hasMessageContaining("old content");
    assertThat(contentOf("big.bin")).isEqualTo(old);
    assertThat(tempsUnder(root)).isEmpty();
  }

  @Test
  void cleanTempsRemovesWhatAKillLeftAndNothingElse() throws Exception {
    Files.createDirectories(root.resolve("a/b"));
    Files.writeString(root.resolve(".tandem-tmp-big.bin-0a0b0c0d"), "half");
    Files.writeString(root.resolve("a/b/.tandem-tmp-x-01020304"), "half");
    Files.createSymbolicLink(root.resolve("a/.tandem-tmp-l-05060708"), Path.of("/etc"));
    Files.writeString(root.resolve("a/tandem-tmp-not-ours"), "keep");

    assertThat(applier.cleanTemps()).isEqualTo(3);
    assertThat(tempsUnder(root)).isEmpty();
    assertThat(root.resolve("a/tandem-tmp-not-ours")).exists();
    assertThat(Files.exists(Path.of("/etc"))).isTrue();
  }

  private byte[] contentOf(String rel) {
    try {
      return Files.readAllBytes(root.resolve(rel));
    } catch (IOException e) {
      throw new AssertionError(e);
    }
  }

  private ChunkSource blockingAtHalf(CountDownLatch halfway, CountDownLatch go) {
    int[] n = {0};
    return c -> {
      if (++n[0] == big.chunks().size() / 2) {
        halfway.countDown();
        go.await();
      }
      return chunks.read(c);
    };
  }
}
