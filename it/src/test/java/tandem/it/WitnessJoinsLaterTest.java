package tandem.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import tandem.cluster.LocalMembership;
import tandem.cluster.Member;
import tandem.it.harness.OwnedCluster;
import tandem.it.harness.TestCluster;

/**
 * A witness added to a pair that has run for a while, as the README's setup allows ("a small third box"): by then the
 * leader has snapshotted its state and purged the log up to it, so the witness is sent the snapshot. Found by walking
 * the README: the witness's Raft server stopped on an assertion (the state machine was never paused), and after a
 * restart it pinned the members of an older snapshot, without itself, so that once it led Raft its own client was
 * refused and the group could not fail over. The agents here snapshot every 20 commands instead of 5,000.
 */
class WitnessJoinsLaterTest {
  @RegisterExtension final OwnedCluster owned = new OwnedCluster();

  @Test
  void witnessJoiningAfterTheLogWasPurged_catchesUpFromTheSnapshot_andTheGroupFailsOver() throws Exception {
    TestCluster c = owned.own(TestCluster.create(TestCluster.runDir(getClass(), "purged"), List.of("n1", "n2"), "w"));
    c.agentEnvironment("JAVA_TOOL_OPTIONS", "-Dtandem.raft.snapshot-every=20");
    c.initAll();
    c.addGroup("web", "n1: primary, n2: passive", "n1", "n2");
    c.startFirst("n1");
    c.joinAndStart("n1", "n2");
    c.awaitRunning("web", "n1");
    Path n1Raft = c.node("n1").dataDir().resolve("raft");
    await("n1 snapshots its state and purges the log the snapshot covers").atMost(Duration.ofSeconds(120))
        .pollInterval(Duration.ofMillis(500)).untilAsserted(() -> {
          List<String> files = files(n1Raft);
          assertThat(files).anyMatch(WitnessJoinsLaterTest::isSnapshot);
          assertThat(files).noneMatch(f -> f.startsWith("log_0-"));
        });

    c.joinAndStart("n1", "w");
    c.awaitSettled();
    assertThat(files(c.node("w").dataDir().resolve("raft"))).as("w was sent a snapshot")
        .anyMatch(WitnessJoinsLaterTest::isSnapshot);
    await("w records itself among the members").atMost(Duration.ofSeconds(30)).untilAsserted(() ->
        assertThat(LocalMembership.read(c.node("w").dataDir()).members()).extracting(Member::name)
            .containsExactlyInAnyOrder("n1", "n2", "w"));
    assertThat(c.isAlive("w")).isTrue();

    // What an earlier version could leave behind: a cluster.json written from the snapshot's older state, without w.
    // Ratis refused to start a member whose group lacked it; the agent adds itself, and the file is right again.
    c.terminate("w");
    LocalMembership written = LocalMembership.read(c.node("w").dataDir());
    new LocalMembership(written.cluster(), written.generation(),
        written.members().stream().filter(m -> !m.name().equals("w")).toList(),
        written.voters().stream().filter(v -> !v.equals("w")).toList()).write(c.node("w").dataDir());
    c.startAgent("w");
    c.awaitSettled();
    await("w records itself among the members again").atMost(Duration.ofSeconds(30)).untilAsserted(() ->
        assertThat(LocalMembership.read(c.node("w").dataDir()).members()).extracting(Member::name)
            .containsExactlyInAnyOrder("n1", "n2", "w"));

    c.kill9("n1");
    c.awaitPrimary("web", "n2", Duration.ofSeconds(30), "n2"::equals);
    c.awaitRunning("web", "n2");
    for (String n : List.of("n2", "w")) {
      assertThat(c.hasEvent(n, "peer-refused", "")).as(n + " refused no peer: " + c.tailLog(n, 20)).isFalse();
    }
  }

  private static boolean isSnapshot(String file) {
    return file.matches("snapshot\\.\\d+_\\d+");
  }

  private static List<String> files(Path root) throws IOException {
    try (var s = Files.walk(root)) {
      return s.filter(Files::isRegularFile).map(p -> p.getFileName().toString()).toList();
    }
  }
}
