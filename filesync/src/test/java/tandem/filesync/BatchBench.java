package tandem.filesync;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * 20,000 files of 1-16 KiB applied from memory, fsync included, per fsync thread count. Not a
 * timed unit test: run with -Dtandem.bench=true and read the printed files/s (compare: rsync to a
 * daemon, same files, 6.6 s; with --fsync 13.2 s).
 */
class BatchBench {
  @TempDir Path tmp;

  @Test
  void twentyThousandSmallFiles() throws Exception {
    Assumptions.assumeTrue(Boolean.getBoolean("tandem.bench"), "skipped: a benchmark; run with -Dtandem.bench=true");
    Chunks chunks = new Chunks();
    Random random = new Random(42);
    List<FileEntry> entries = new ArrayList<>();
    for (int i = 0; i < 20_000; i++) {
      byte[] b = new byte[1024 + random.nextInt(15 * 1024 + 1)];
      random.nextBytes(b);
      entries.add(chunks.file("d" + i % 100 + "/f" + i, b));
    }
    for (String threads : System.getProperty("tandem.bench.threads", "1,4,16,64").split(",")) {
      Path root = Files.createDirectory(tmp.resolve("t" + threads));
      Applier applier = new Applier(root, new MapBaseline(), ApplierOptions.of("n2").withFsyncThreads(Integer.parseInt(threads)));
      Runtime.getRuntime().exec(new String[] {"sync"}).waitFor(); // start each run with no dirty pages of the last
      long t0 = System.nanoTime();
      applier.applyAll(entries, chunks);
      double s = (System.nanoTime() - t0) / 1e9;
      System.out.printf("applyAll 20000 files, %s fsync threads: %.2f s, %.0f files/s%n", threads, s, 20_000 / s);
    }
  }
}
