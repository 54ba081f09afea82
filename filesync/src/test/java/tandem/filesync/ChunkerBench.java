package tandem.filesync;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.SplittableRandom;

/**
 * Prints the chunker's throughput (gear + SHA-256) on a file of random bytes; not a test, run by
 * hand: {@code java -cp ... tandem.filesync.ChunkerBench [sizeMiB] [dir]}. The file is read once
 * before timing so the page cache holds it and the number is CPU throughput, not disk throughput.
 */
public final class ChunkerBench {
  public static void main(String[] args) throws IOException {
    int mib = args.length > 0 ? Integer.parseInt(args[0]) : 1024;
    Path dir = Path.of(args.length > 1 ? args[1] : System.getProperty("java.io.tmpdir"));
    Path file = Files.createTempFile(dir, "chunker-bench", ".bin");
    try {
      write(file, mib);
      for (int round = 0; round < 5; round++) {
        long t0 = System.nanoTime();
        long[] count = new long[1];
        long bytes;
        try (var in = Files.newByteChannel(file, StandardOpenOption.READ)) {
          bytes = Chunker.chunk(in, (offset, length, hash) -> count[0]++);
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        System.out.printf("round %d: %d MiB in %.3f s = %.0f MB/s, %d chunks, avg %d KiB%n", round,
            bytes >> 20, seconds, bytes / seconds / 1e6, count[0], bytes / count[0] / 1024);
      }
    } finally {
      Files.delete(file);
    }
  }

  private static void write(Path file, int mib) throws IOException {
    SplittableRandom random = new SplittableRandom(1);
    byte[] block = new byte[1 << 20];
    try (var out = Files.newOutputStream(file)) {
      for (int i = 0; i < mib; i++) {
        for (int j = 0; j < block.length; j += 8) {
          long v = random.nextLong();
          for (int k = 0; k < 8; k++) {
            block[j + k] = (byte) (v >>> (8 * k));
          }
        }
        out.write(block);
      }
    }
  }
}
