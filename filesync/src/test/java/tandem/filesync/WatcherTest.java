package tandem.filesync;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class WatcherTest {
  @TempDir Path tmp;
  final Recording recording = new Recording();
  Watcher watcher;

  /** Keeps every delivery; the union is what the owner would have rescanned. */
  static final class Recording implements Watcher.Listener {
    final List<Set<String>> batches = new CopyOnWriteArrayList<>();
    final Set<String> seen = ConcurrentHashMap.newKeySet();
    final List<String> overflows = new CopyOnWriteArrayList<>();
    volatile long lastDelivery;

    @Override
    public void changed(Set<String> relPaths) {
      lastDelivery = System.nanoTime();
      batches.add(Set.copyOf(relPaths));
      seen.addAll(relPaths);
    }

    @Override
    public void overflow(String reason) {
      overflows.add(reason);
    }
  }

  @AfterEach
  void close() {
    if (watcher != null) {
      watcher.close();
      assertThat(watcher.running()).isFalse();
    }
  }

  Path root() throws IOException {
    return Files.createDirectories(tmp.resolve("root"));
  }

  void start(Path root, List<String> excludes) throws IOException {
    watcher = Watcher.start(root, Excludes.of(excludes), recording);
  }

  void awaitSeen(String... paths) {
    await().atMost(Duration.ofSeconds(10)).until(() -> recording.seen.containsAll(List.of(paths)));
  }

  @Test
  void fileWrite_reachesTheListenerQuickly() throws IOException {
    Path root = root();
    start(root, List.of());
    long t0 = System.nanoTime();
    Files.write(root.resolve("a.bin"), new byte[4096]);
    awaitSeen("a.bin");
    System.out.printf("4 KiB write to listener: %.1f ms%n", (recording.lastDelivery - t0) / 1e6);

    Files.writeString(root.resolve("a.bin"), "modified");
    Files.move(root.resolve("a.bin"), root.resolve("b.bin"));
    Files.delete(root.resolve("b.bin"));
    awaitSeen("a.bin", "b.bin");
    assertThat(recording.overflows).isEmpty();
  }

  @Test
  void nestedDirectoriesCreatedQuickly_areReported_andWatched() throws IOException {
    Path root = root();
    start(root, List.of());
    Files.createDirectories(root.resolve("n1/n2/n3"));
    Files.writeString(root.resolve("n1/n2/n3/early"), "before the watch existed");
    awaitSeen("n1"); // the scanner walks n1 and finds early

    // Once n1 is reported its subdirectories are watched: a later write there is seen by name.
    Files.writeString(root.resolve("n1/n2/n3/late"), "after");
    awaitSeen("n1/n2/n3/late");
  }

  @Test
  void renamedDirectory_isReportedUnderBothNames_andWatchedUnderItsNewName() throws IOException {
    Path root = root();
    Files.createDirectories(root.resolve("old/sub"));
    start(root, List.of());
    Files.move(root.resolve("old"), root.resolve("new"));
    awaitSeen("old", "new");

    Files.writeString(root.resolve("new/sub/x"), "x");
    awaitSeen("new/sub/x");
    assertThat(recording.seen).noneMatch(p -> p.startsWith("old/"));
  }

  @Test
  void excludedPaths_areNotReported_andExcludedDirsNotWatched() throws IOException {
    Path root = root();
    Files.createDirectories(root.resolve("cache"));
    start(root, List.of("cache/", "*.tmp"));
    Files.writeString(root.resolve("cache/inside"), "c");
    Files.createDirectories(root.resolve("d/cache"));
    Files.writeString(root.resolve("d/cache/deeper"), "c");
    Files.writeString(root.resolve("x.tmp"), "t");
    Files.writeString(root.resolve(".tandem-tmp-1"), "t");
    Files.writeString(root.resolve("marker"), "m"); // after the others in the same directory's queue
    awaitSeen("marker", "d");

    assertThat(recording.seen).doesNotContain("cache", "cache/inside", "x.tmp", ".tandem-tmp-1", "d/cache",
        "d/cache/deeper");
  }

  @Test
  void burstOfWrites_isCoalesced() throws IOException {
    Path root = root();
    watcher = Watcher.start(root, Excludes.none(), recording, Duration.ofMillis(200), Duration.ofSeconds(5));
    for (int i = 0; i < 50; i++) {
      Files.writeString(root.resolve("f" + i), "x");
    }
    await().atMost(Duration.ofSeconds(10)).until(() -> recording.seen.size() == 50);
    assertThat(recording.batches.size()).isLessThanOrEqualTo(5);
  }

  @Test
  void steadyStreamOfWrites_isStillDeliveredEveryMaxDelay() throws Exception {
    Path root = root();
    watcher = Watcher.start(root, Excludes.none(), recording, Duration.ofMillis(100), Duration.ofMillis(150));
    AtomicBoolean stop = new AtomicBoolean();
    Thread writer = Thread.ofPlatform().start(() -> {
      // A write every ~1 ms never leaves the tree quiet for 100 ms.
      for (int i = 0; !stop.get(); i++) {
        try {
          Files.writeString(root.resolve("stream"), Integer.toString(i));
          Thread.sleep(1); // pacing the load, not synchronization
        } catch (IOException | InterruptedException e) {
          return;
        }
      }
    });
    try {
      await().atMost(Duration.ofSeconds(10)).until(() -> recording.batches.size() >= 3);
      assertThat(writer.isAlive()).isTrue(); // delivered while the stream went on
    } finally {
      stop.set(true);
      writer.join();
    }
  }

  @Test
  void rootDeleted_isAnOverflow() throws IOException {
    Path root = root();
    start(root, List.of());
    Files.delete(root);
    await().atMost(Duration.ofSeconds(10)).until(() -> !recording.overflows.isEmpty());
    assertThat(recording.overflows.get(0)).contains("root").contains(root.toString());
  }

  @Test
  void close_stopsTheThread_andNothingIsDeliveredAfter() throws IOException {
    Path root = root();
    start(root, List.of());
    watcher.close();
    assertThat(watcher.running()).isFalse();
    int before = recording.batches.size();
    Files.writeString(root.resolve("after-close"), "x");
    assertThat(recording.batches).hasSize(before);
  }
}
