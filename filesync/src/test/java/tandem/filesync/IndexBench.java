package tandem.filesync;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The index benchmark run by {@code bench/filesync-index.sh}: creates N small files (1000 per
 * directory) under a directory unless they exist, then times a first full scan (stat + hash of
 * every file), prints the heap the index holds after GC, and times a second full scan of the
 * unchanged tree (stat only). Prints one {@code BENCH_JSON} line.
 */
public final class IndexBench {
  public static void main(String[] args) throws IOException {
    Path dir = Path.of(args[0]);
    int files = Integer.parseInt(args[1]);
    long t0 = System.nanoTime();
    int created = create(dir, files);
    double createS = (System.nanoTime() - t0) / 1e9;
    System.out.printf("tree: %d files under %s (%d created in %.1f s)%n", files, dir, created, createS);

    long heapBefore = IndexMemoryBench.usedAfterGc();
    Index index = new Index();
    Scanner scanner = new Scanner(dir, index, Excludes.none());
    long t1 = System.nanoTime();
    ScanResult first = scanner.full();
    double firstS = (System.nanoTime() - t1) / 1e9;
    System.out.printf("first full scan: %.1f s, %d changed, %d files hashed, %d problems%n", firstS,
        first.changed().size(), first.filesHashed(), first.problems().size());
    first = null;
    long heap = IndexMemoryBench.usedAfterGc() - heapBefore;
    System.out.printf("index: %d entries, %.1f MiB heap after GC (%d bytes/entry)%n", index.size(),
        heap / 1048576.0, heap / index.size());

    long t2 = System.nanoTime();
    ScanResult again = scanner.full();
    double rescanS = (System.nanoTime() - t2) / 1e9;
    System.out.printf("full rescan of the unchanged tree: %.1f s, %d changed, %d hashed%n", rescanS,
        again.changed().size() + again.deleted().size(), again.filesHashed());
    System.out.printf("BENCH_JSON {\"bench\":\"filesync-index\",\"files\":%d,\"entries\":%d,\"firstScanS\":%.2f,"
        + "\"heapMiB\":%.1f,\"rescanS\":%.2f}%n", files, index.size(), firstS, heap / 1048576.0, rescanS);
  }

  private static int create(Path dir, int files) throws IOException {
    int created = 0;
    for (int i = 0; i < files; i++) {
      Path file = dir.resolve(String.format("d%04d/file-%07d.txt", i / 1000, i));
      if (i % 1000 == 0) {
        Files.createDirectories(file.getParent());
      }
      if (!Files.exists(file)) {
        Files.write(file, ("small file number " + i + "\n").repeat(4).getBytes(StandardCharsets.UTF_8));
        created++;
      }
    }
    return created;
  }
}
