package tandem.filesync;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tandem.transport.PinnedPeers;

/**
 * Two in-process nodes over real mutual TLS on 127.0.0.1: BIG_FILES x BIG_MIB MiB of random data
 * renamed into the running primary's directory, timed until the replica holds every file with
 * its size (then compared by content). Not a timed unit test: run with -Dtandem.bench=true and read
 * the printed MB/s; bench/files.sh measures the same with real agents beside rsync and Syncthing.
 */
class SyncBench {
  @TempDir Path base;
  private final SyncNode.View view = new SyncNode.View();
  private final PinnedPeers pinned = new PinnedPeers(Set.of());
  private final List<SyncNode> nodes = new ArrayList<>();

  @AfterEach
  void stop() {
    nodes.forEach(SyncNode::close);
  }

  @Test
  void bigFilesMovedIntoARunningPrimary() throws Exception {
    Assumptions.assumeTrue(Boolean.getBoolean("tandem.bench"), "skipped: a benchmark; run with -Dtandem.bench=true");
    int files = Integer.getInteger("tandem.bench.files", 20);
    int mib = Integer.getInteger("tandem.bench.mib", 50);
    SyncNode n1 = SyncNode.start(base, "n1", view, pinned);
    SyncNode n2 = SyncNode.start(base, "n2", view, pinned);
    nodes.add(n1);
    nodes.add(n2);
    view.primary = "n1";
    view.epoch = 1;
    n2.dir.becomeReplica();
    n1.dir.becomePrimary(1);
    int rounds = Integer.getInteger("tandem.bench.rounds", 1);
    for (int round = 0; round < rounds; round++) {
      bigRound(n1, n2, files, mib, round);
    }
  }

  /**
   * One round: {@code files} new files of {@code mib} MiB (other bytes each round, so nothing is
   * found locally) moved in as directory {@code data<round>}. Rounds after the first show the cost
   * once the JIT has compiled the path: the difference is what a freshly started agent pays.
   */
  private void bigRound(SyncNode n1, SyncNode n2, int files, int mib, int round) throws Exception {
    Path staging = Files.createDirectories(base.resolve("staging" + round + "/data" + round));
    Random rnd = new Random(1 + round);
    byte[] block = new byte[1 << 20];
    for (int f = 0; f < files; f++) {
      try (OutputStream out = Files.newOutputStream(staging.resolve("f" + f))) {
        for (int m = 0; m < mib; m++) {
          rnd.nextBytes(block);
          out.write(block);
        }
      }
    }
    new ProcessBuilder("sync").start().waitFor();
    long total = (long) files * mib << 20;
    Path dst = n2.root.resolve("data" + round);
    long t0 = System.nanoTime();
    long wall0 = System.currentTimeMillis();
    long cpu0 = processCpuNanos();
    long jit0 = ManagementFactory.getCompilationMXBean().getTotalCompilationTime();
    Files.move(staging, n1.root.resolve("data" + round), StandardCopyOption.ATOMIC_MOVE);
    await().atMost(Duration.ofMinutes(5)).pollInterval(Duration.ofMillis(5)).until(() -> complete(dst, 1, mib));
    double first = (System.nanoTime() - t0) / 1e9;
    await().atMost(Duration.ofMinutes(5)).pollInterval(Duration.ofMillis(20)).until(() -> complete(dst, files, mib));
    double s = (System.nanoTime() - t0) / 1e9;
    double cpu = (processCpuNanos() - cpu0) / 1e9;
    long jit = ManagementFactory.getCompilationMXBean().getTotalCompilationTime() - jit0;
    System.out.printf("SyncBench: round %d: %d x %d MiB in %.2f s = %.0f MB/s, %.2f CPU-s for both nodes, JIT %d ms"
        + " (first file complete after %.2f s; load %.2f; epoch ms %d-%d)%n", round, files, mib, s, total / s / 1e6, cpu,
        jit, first, ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage(), wall0, System.currentTimeMillis());
    if (!Trees.snapshot(dst).equals(Trees.snapshot(n1.root.resolve("data" + round)))) {
      throw new AssertionError("the replica's tree differs from the primary's");
    }
  }

  /** CPU time of this JVM (both nodes, the compiler and the collector included). */
  private static long processCpuNanos() {
    return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
        .getProcessCpuTime();
  }

  @Test
  void smallFilesMovedIntoARunningPrimary() throws Exception {
    Assumptions.assumeTrue(Boolean.getBoolean("tandem.bench"), "skipped: a benchmark; run with -Dtandem.bench=true");
    int files = Integer.getInteger("tandem.bench.small", 20_000);
    SyncNode n1 = SyncNode.start(base, "n1", view, pinned);
    SyncNode n2 = SyncNode.start(base, "n2", view, pinned);
    nodes.add(n1);
    nodes.add(n2);
    view.primary = "n1";
    view.epoch = 1;
    n2.dir.becomeReplica();
    n1.dir.becomePrimary(1);
    // tandem.bench.rounds > 1: the same sync again into new directories, to tell a cold JVM from a warm one.
    int rounds = Integer.getInteger("tandem.bench.rounds", 1);
    for (int round = 0; round < rounds; round++) {
      smallRound(n1, n2, files, "small" + (round == 0 ? "" : round), round);
    }
  }

  private void smallRound(SyncNode n1, SyncNode n2, int files, String name, int round) throws Exception {
    Path staging = Files.createDirectories(base.resolve("staging/" + name));
    Random rnd = new Random(2 + round);
    long total = 0;
    for (int f = 0; f < files; f++) {
      byte[] b = new byte[1024 + rnd.nextInt(15 * 1024 + 1)];
      rnd.nextBytes(b);
      Path dir = Files.createDirectories(staging.resolve("d" + f % 200));
      Files.write(dir.resolve("f" + f), b);
      total += b.length;
    }
    new ProcessBuilder("sync").start().waitFor();
    long before = n2.dir.status().receiver().receivedBytes();
    long t0 = System.nanoTime();
    long wall0 = System.currentTimeMillis();
    long cpu0 = processCpuNanos();
    long jit0 = ManagementFactory.getCompilationMXBean().getTotalCompilationTime();
    Files.move(staging, n1.root.resolve(name), StandardCopyOption.ATOMIC_MOVE);
    long want = before + total;
    await().atMost(Duration.ofMinutes(5)).pollInterval(Duration.ofMillis(50))
        .until(() -> n2.dir.status().receiver().receivedBytes() >= want && sameCount(n1.root, n2.root));
    double s = (System.nanoTime() - t0) / 1e9;
    double cpu = (processCpuNanos() - cpu0) / 1e9;
    long jit = ManagementFactory.getCompilationMXBean().getTotalCompilationTime() - jit0;
    System.out.printf("SyncBench: round %d: %d small files (%d bytes) in %.2f s, %.2f CPU-s for both nodes, JIT %d ms"
        + " (epoch ms %d-%d)%n", round, files, total, s, cpu, jit, wall0, System.currentTimeMillis());
    if (!Trees.snapshot(n2.root).equals(Trees.snapshot(n1.root))) {
      throw new AssertionError("the replica's tree differs from the primary's");
    }
  }

  private static boolean sameCount(Path a, Path b) throws IOException {
    try (var x = Files.walk(a); var y = Files.walk(b)) {
      return x.count() == y.count();
    } catch (java.io.UncheckedIOException e) {
      return false; // a temporary file went while the walk listed it: not done yet
    }
  }

  private static boolean complete(Path dir, int files, int mib) throws IOException {
    for (int f = 0; f < files; f++) {
      Path p = dir.resolve("f" + f);
      if (!Files.exists(p) || Files.size(p) != (long) mib << 20) {
        return false;
      }
    }
    return true;
  }
}
