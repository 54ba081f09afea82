package tandem.filesync;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Prints the heap an {@link Index} of N synthetic one-chunk files costs (paths about 40
 * characters), and how long saving and loading it take. Not a test; run by hand:
 * {@code java -Xmx512m -cp ... tandem.filesync.IndexMemoryBench [entries]}.
 */
public final class IndexMemoryBench {
  public static void main(String[] args) throws IOException {
    int n = args.length > 0 ? Integer.parseInt(args[0]) : 1_000_000;
    long before = usedAfterGc();
    Index index = new Index();
    SplittableRandom r = new SplittableRandom(1);
    for (int i = 0; i < n; i++) {
      String path = String.format("data/dir%04d/sub%02d/file-%08d.txt", i / 1000, i % 100, i); // 38 chars
      Hash h = new Hash(r.nextLong(), r.nextLong(), r.nextLong(), r.nextLong());
      int size = 1 + r.nextInt(8192);
      index.put(new FileEntry(path, Kind.FILE, size, 1_700_000_000_000_000_000L + i, 0644, "",
          List.of(new ChunkRef(h, size))), new LocalStat(i, 1_700_000_000_000_000_000L + i, size, i), true);
    }
    long used = usedAfterGc() - before;
    System.out.printf("%d entries: %.1f MiB heap after GC (%d bytes/entry), %d chunks located%n", n, used / 1048576.0,
        used / n, index.locatedChunks());
    Path file = Files.createTempFile("index-bench", ".idx");
    try {
      long t0 = System.nanoTime();
      index.save(file);
      long t1 = System.nanoTime();
      index = null; // two indexes of a million entries would not fit the heap being measured
      Index loaded = Index.load(file);
      long t2 = System.nanoTime();
      System.out.printf("save %.2f s (%.1f MiB file), load %.2f s, %d entries loaded%n", (t1 - t0) / 1e9,
          Files.size(file) / 1048576.0, (t2 - t1) / 1e9, loaded.size());
    } finally {
      Files.delete(file);
    }
  }

  static long usedAfterGc() {
    for (int i = 0; i < 3; i++) {
      System.gc();
    }
    var heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage();
    return heap.getUsed();
  }
}
