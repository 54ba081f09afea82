package tandem.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import tandem.it.harness.SharedWebCluster;
import tandem.it.harness.TestCluster;

/**
 * The group's directory replicated by real agents: it reaches the standby, partial files are never
 * visible there whichever agent is killed mid-transfer, and after a failover the new primary's
 * directory is the source while the old primary keeps what it never replicated as conflict copies.
 */
@ExtendWith(SharedWebCluster.class)
class FilesReplicationTest {
  private static final Duration CONVERGE = Duration.ofSeconds(60);
  private static final int BIG = 96 << 20;

  @Test
  void filesWrittenOnThePrimary_reachTheStandby_andStatusShowsIt(TestCluster c) throws Exception {
    TestCluster.Roles r = c.roles("web");
    Path src = c.node(r.primary()).files();
    Path dst = c.node(r.standby()).files();
    Files.createDirectories(src.resolve("docs/img"));
    Files.writeString(src.resolve("docs/index.html"), "<h1>hello</h1>");
    Files.write(src.resolve("docs/img/logo.png"), random(300_000, 1));
    Files.createSymbolicLink(src.resolve("docs/latest"), Path.of("index.html"));
    Files.writeString(src.resolve("scratch.tmp"), "excluded");
    awaitSame(src, dst);
    assertThat(Files.exists(dst.resolve("scratch.tmp"))).as("excluded by *.tmp").isFalse();
    assertThat(Files.readSymbolicLink(dst.resolve("docs/latest"))).isEqualTo(Path.of("index.html"));

    await("the primary reports the standby in sync").atMost(CONVERGE).ignoreExceptions().until(() -> {
      JsonNode files = c.status(r.primary()).path("files").get(0);
      JsonNode replica = files.path("replicas").get(0);
      return files.path("sending").asBoolean() && replica.path("replica").asText().equals(r.standby())
          && replica.path("state").asText().equals("in-sync") && replica.path("behindEntries").asLong() == 0;
    });
    TestCluster.CliResult out = c.cli(r.primary(), "sync", "status", "web");
    assertThat(out.exitCode()).as(out.output()).isZero();
    assertThat(out.output()).contains(r.standby()).contains("in-sync");
    // On the replica: its own side, and why the primary's table is not there (reads need the primary's token).
    TestCluster.CliResult onReplica = c.cli(r.standby(), "sync", "status", "web");
    assertThat(onReplica.exitCode()).as(onReplica.output()).isZero();
    assertThat(onReplica.output()).contains("this replica").contains("refused this node's read")
        .contains("api: { open-read: true } on " + r.primary());
  }

  @Test
  void replicaKilledMidTransfer_neverShowsAPartialFile_andConvergesAfterRestart(TestCluster c) throws Exception {
    TestCluster.Roles r = c.roles("web");
    Path src = c.node(r.primary()).files();
    Path dst = c.node(r.standby()).files();
    byte[] big = random(BIG, 2);
    long before = receivedBytes(c, r.standby());
    try (Observer watch = new Observer(dst.resolve("big-replica.bin"), big)) {
      Files.write(src.resolve("big-replica.bin.tmp"), big);
      Files.move(src.resolve("big-replica.bin.tmp"), src.resolve("big-replica.bin"));
      await("the transfer starts").atMost(CONVERGE).until(() -> receivedBytes(c, r.standby()) > before || watch.seenWhole());
      c.kill9(r.standby());
      c.restart(r.standby());
      awaitSame(src, dst);
      watch.assertNeverPartial();
    }
  }

  @Test
  void primaryKilledMidTransfer_standbyNeverShowsAPartialFile_oldPrimaryKeepsItsUnsentFile(TestCluster c)
      throws Exception {
    TestCluster.Roles r = c.roles("web");
    Path oldSrc = c.node(r.primary()).files();
    Path newSrc = c.node(r.standby()).files();
    Files.writeString(oldSrc.resolve("before.txt"), "replicated before the failure");
    awaitSame(oldSrc, newSrc);
    byte[] big = random(BIG, 3);
    long before = receivedBytes(c, r.standby());
    try (Observer watch = new Observer(newSrc.resolve("big-primary.bin"), big)) {
      // Written under an excluded name and renamed, as careful apps do, so every state the
      // primary's directory ever had is either "no file" or "the whole file".
      try (OutputStream out = Files.newOutputStream(oldSrc.resolve("big-primary.bin.tmp"))) {
        out.write(big);
      }
      Files.move(oldSrc.resolve("big-primary.bin.tmp"), oldSrc.resolve("big-primary.bin"));
      await("the transfer starts").atMost(CONVERGE).until(() -> receivedBytes(c, r.standby()) > before || watch.seenWhole());
      c.kill9(r.primary());
      c.awaitRunning("web", r.standby());
      Files.writeString(newSrc.resolve("after.txt"), "written on the new primary");
      c.heal("web");
      awaitSame(newSrc, oldSrc);
      watch.assertNeverPartial();
    }
    assertThat(Files.readString(oldSrc.resolve("after.txt"))).isEqualTo("written on the new primary");
    if (!Files.exists(newSrc.resolve("big-primary.bin"))) {
      assertThat(conflictCopies(oldSrc)).as("the old primary keeps the file it never replicated")
          .anyMatch(p -> p.getFileName().toString().startsWith("big-primary.sync-conflict-"));
    }
  }

  @Test
  void failoverDuringContinuousWrites_newPrimaryIsTheSource_oldPrimaryKeepsItsUnreplicatedWrites(TestCluster c)
      throws Exception {
    TestCluster.Roles r = c.roles("web");
    Path oldSrc = c.node(r.primary()).files();
    Path newSrc = c.node(r.standby()).files();
    AtomicBoolean writing = new AtomicBoolean(true);
    AtomicReference<Path> target = new AtomicReference<>(oldSrc);
    List<String> written = java.util.Collections.synchronizedList(new ArrayList<>());
    Thread writer = Thread.ofVirtual().start(() -> {
      for (int i = 0; writing.get(); i++) {
        try {
          Path dir = target.get();
          Files.writeString(dir.resolve("w-" + i + ".txt"), "write " + i + " on " + dir);
          written.add("w-" + i + ".txt");
          java.util.concurrent.locks.LockSupport.parkNanos(2_000_000); // pacing: an app writing steadily
        } catch (IOException e) {
          return;
        }
      }
    });
    await("some writes replicated").atMost(CONVERGE).until(() -> countFiles(newSrc, "w-") > 20);
    c.kill9(r.primary());
    // Writes that land on the dead primary's disk after its agent died are never replicated.
    c.awaitRunning("web", r.standby());
    target.set(newSrc);
    await("writes continue on the new primary").atMost(CONVERGE).until(() -> written.size() > 200);
    writing.set(false);
    writer.join();
    Map<String, String> onOldBeforeHeal = snapshot(oldSrc);
    c.heal("web");
    awaitSame(newSrc, oldSrc);
    List<String> keptContent = new ArrayList<>();
    for (Path p : conflictCopies(oldSrc)) {
      keptContent.add(describe(p));
    }
    for (var e : onOldBeforeHeal.entrySet()) {
      Path nowThere = oldSrc.resolve(e.getKey());
      String expected = e.getValue();
      boolean same = Files.exists(nowThere) && describe(nowThere).equals(expected);
      boolean kept = keptContent.contains(expected);
      boolean onNew = Files.exists(newSrc.resolve(e.getKey()));
      assertThat(same || kept || onNew).as("%s written on the old primary is neither kept nor replicated", e.getKey())
          .isTrue();
    }
  }

  // ---- helpers --------------------------------------------------------------------------------

  private static long receivedBytes(TestCluster c, String node) throws Exception {
    return c.status(node).path("files").get(0).path("receiver").path("receivedBytes").asLong();
  }

  private static void awaitSame(Path a, Path b) {
    await(b + " converges to " + a).atMost(CONVERGE).ignoreExceptions()
        .untilAsserted(() -> assertThat(snapshot(b)).isEqualTo(snapshot(a)));
  }

  /** The tree as path -> description, without excluded names, conflict copies and tandem's own files. */
  static Map<String, String> snapshot(Path root) throws IOException {
    Map<String, String> out = new TreeMap<>();
    try (Stream<Path> all = Files.walk(root)) {
      for (Path p : all.filter(p -> !p.equals(root)).toList()) {
        String rel = root.relativize(p).toString();
        String name = p.getFileName().toString();
        if (rel.startsWith(".tandem-versions") || name.contains(".sync-conflict-") || name.startsWith(".tandem-tmp-")
            || name.endsWith(".tmp")) {
          continue;
        }
        out.put(rel, describe(p));
      }
    }
    return out;
  }

  static String describe(Path p) throws IOException {
    if (Files.isSymbolicLink(p)) {
      return "link " + Files.readSymbolicLink(p);
    }
    if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
      return "dir";
    }
    return "file " + Files.size(p) + " " + sha(Files.readAllBytes(p));
  }

  private static List<Path> conflictCopies(Path root) throws IOException {
    try (Stream<Path> all = Files.walk(root)) {
      return all.filter(p -> p.getFileName().toString().contains(".sync-conflict-")).toList();
    }
  }

  private static long countFiles(Path dir, String prefix) throws IOException {
    try (Stream<Path> all = Files.list(dir)) {
      return all.filter(p -> p.getFileName().toString().startsWith(prefix)).count();
    }
  }

  static String sha(byte[] data) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static byte[] random(int n, long seed) {
    byte[] b = new byte[n];
    new Random(seed).nextBytes(b);
    return b;
  }

  /**
   * Watches one path on a replica on its own thread, as a reader would: whenever the path exists
   * it must hold the whole expected content, never a prefix.
   */
  private static final class Observer implements AutoCloseable {
    private final Path path;
    private final long size;
    private final String sha;
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final AtomicBoolean whole = new AtomicBoolean();
    private final List<String> partial = java.util.Collections.synchronizedList(new ArrayList<>());
    private final Thread thread;

    Observer(Path path, byte[] expected) {
      this.path = path;
      this.size = expected.length;
      this.sha = sha(expected);
      this.thread = Thread.ofPlatform().daemon().start(this::run);
    }

    private void run() {
      while (running.get()) {
        try {
          if (Files.exists(path)) {
            long n = Files.size(path);
            if (n != size) {
              partial.add("size " + n + " of " + size);
            } else if (!whole.get()) {
              whole.set(sha(Files.readAllBytes(path)).equals(sha) || partial.add("same size, other content"));
            }
          }
        } catch (IOException vanished) {
          // Replaced between the checks: look again.
        }
        java.util.concurrent.locks.LockSupport.parkNanos(200_000); // pacing: a reader polling
      }
    }

    boolean seenWhole() {
      return whole.get();
    }

    void assertNeverPartial() {
      assertThat(partial).as("what a reader saw at %s", path).isEmpty();
    }

    @Override
    public void close() throws InterruptedException {
      running.set(false);
      thread.join();
    }
  }
}
