package tandem.cluster.raft;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tandem.cluster.ClusterCommand;
import tandem.cluster.CommandResult;
import tandem.cluster.LocalMembership;
import tandem.cluster.Member;
import tandem.core.NodeName;
import tandem.transport.NodeIdentity;
import tandem.transport.PinnedPeers;

class RaftClusterTest {
  @TempDir Path dir;

  @Test
  void singleNode_bootstrapsOverMutualTls_andAppliesCommands() throws Exception {
    Node n1 = singleMember();
    Member me = n1.member();
    try (RaftCluster rc = startAlone(n1)) {
      CommandResult r = rc.submit(new ClusterCommand.Bootstrap("shop", me), Duration.ofSeconds(20)).get();
      assertThat(r.ok()).as(r.message()).isTrue();
      assertThat(rc.state().cluster()).isEqualTo("shop");
    }
  }

  /** A node's identity and membership entry. */
  private record Node(NodeIdentity id, Member member) {}

  private Node singleMember() throws Exception {
    return node("n1");
  }

  /** A node named {@code name}: a fresh identity and a free Raft port. */
  private Node node(String name) throws Exception {
    NodeIdentity id = NodeIdentity.create(dir.resolve(name), new NodeName(name), List.of("127.0.0.1"));
    return new Node(id, new Member(name, id.id().value(), id.certificatePem(), "127.0.0.1:1", "127.0.0.1:" + freePort(),
        "127.0.0.1:2", false, 0));
  }

  /** A cluster of {@code n} alone, over mutual TLS pinned to its own certificate. */
  private RaftCluster startAlone(Node n) throws Exception {
    LocalMembership lm = new LocalMembership("shop", 1, List.of(n.member()), List.of("n1"));
    PinnedPeers pinned = new PinnedPeers(Set.of(n.id().id()));
    int port = Integer.parseInt(n.member().raft().substring(n.member().raft().lastIndexOf(':') + 1));
    return RaftCluster.start(new RaftSettings("n1", dir.resolve("raft"), lm, "127.0.0.1", port,
        n.id().keyManager(), pinned.trustManager("raft"), Duration.ofMillis(300), Duration.ofMillis(600)));
  }

  /**
   * The leader hands its own lease renewals straight to its Raft server (no Ratis client, gRPC and TLS to itself):
   * they are committed and applied like any command, and everything else still goes through the client.
   */
  @Test
  void leader_submitsItsRenewalsToItsOwnServer_andOtherCommandsThroughTheClient() throws Exception {
    Node n1 = singleMember();
    Member me = n1.member();
    try (RaftCluster rc = startAlone(n1)) {
      assertThat(rc.submit(new ClusterCommand.Bootstrap("shop", me), Duration.ofSeconds(20)).get().ok()).isTrue();
      assertThat(rc.submit(new ClusterCommand.DefineGroup("web", java.util.Map.of("n1", "primary"), "manual", 0, "n1", "h"),
          Duration.ofSeconds(20)).get().ok()).isTrue();
      assertThat(rc.localSubmissions()).isZero();
      long epoch = rc.state().groups().get("web").epoch();
      long renewals = rc.state().groups().get("web").renewals();

      // Not the primary: refused by the state machine, so committed and applied all the same.
      CommandResult refused = rc.submit(new ClusterCommand.Renew("web", "n1", epoch), Duration.ofSeconds(20)).get();
      assertThat(refused.ok()).isFalse();
      assertThat(refused.message()).contains("not the primary of web");
      assertThat(rc.localSubmissions()).isEqualTo(1);

      assertThat(rc.submit(new ClusterCommand.Promote("web", "n1", epoch, renewals, "test", 0), Duration.ofSeconds(20))
          .get().ok()).isTrue();
      assertThat(rc.localSubmissions()).isEqualTo(1);
      long promoted = rc.state().groups().get("web").epoch();
      for (int i = 1; i <= 3; i++) {
        CommandResult r = rc.submit(new ClusterCommand.Renew("web", "n1", promoted), Duration.ofSeconds(20)).get();
        assertThat(r.ok()).as(r.message()).isTrue();
      }
      assertThat(rc.localSubmissions()).isEqualTo(4);
      assertThat(rc.state().groups().get("web").renewals()).isEqualTo(3); // a promotion starts the count again
    }
  }

  /**
   * Nodes that joined start with their elections paused (they must not ask for votes before the leader has added
   * them). Once they vote in the committed configuration their elections resume with the normal 300-600 ms timeouts: a
   * leader that dies a few seconds after the joins is replaced in about a second (with the 20-25 s first-election
   * timeout used before, a race in Ratis sometimes made it 10-15 s).
   */
  @Test
  void joinedNodes_replaceADeadLeaderWithTheirNormalElectionTimeout_notTheLongFirstOne() throws Exception {
    List<String> names = List.of("n1", "n2", "n3");
    List<NodeIdentity> ids = new java.util.ArrayList<>();
    List<Member> members = new java.util.ArrayList<>();
    for (String n : names) {
      NodeIdentity id = NodeIdentity.create(dir.resolve(n), new NodeName(n), List.of("127.0.0.1"));
      ids.add(id);
      members.add(new Member(n, id.id().value(), id.certificatePem(), "127.0.0.1:1", "127.0.0.1:" + freePort(),
          "127.0.0.1:2", false, 0));
    }
    PinnedPeers pinned = new PinnedPeers(Set.copyOf(ids.stream().map(NodeIdentity::id).toList()));
    List<RaftCluster> nodes = new java.util.ArrayList<>();
    try {
      nodes.add(start(ids.get(0), members.get(0), new LocalMembership("shop", 1, List.of(members.get(0)), List.of("n1")),
          pinned));
      RaftCluster n1 = nodes.get(0);
      assertThat(n1.submit(new ClusterCommand.Bootstrap("shop", members.get(0)), Duration.ofSeconds(20)).get().ok()).isTrue();
      for (int i = 1; i < 3; i++) {
        long now = System.currentTimeMillis();
        n1.submit(new ClusterCommand.CreateInvite("h" + i, "n1", now + 60_000), Duration.ofSeconds(10)).get();
        CommandResult joined = n1.submit(new ClusterCommand.Join("h" + i, members.get(i), now), Duration.ofSeconds(10)).get();
        assertThat(joined.ok()).as(joined.message()).isTrue();
        // What `tandem join` writes: the members so far and the voters the leader named (with the new node).
        nodes.add(start(ids.get(i), members.get(i), new LocalMembership("shop", 1, members.subList(0, i + 1), names.subList(0, i + 1)),
            pinned));
        assertThat(nodes.get(i).electionsPausedUntilAdded()).as("a joined node starts with its elections paused").isTrue();
      }
      RaftCluster n2 = nodes.get(1);
      RaftCluster n3 = nodes.get(2);
      org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(60)).until(() ->
          names.stream().allMatch(n1::votesInRaft) && !n2.electionsPausedUntilAdded()
              && !n3.electionsPausedUntilAdded());

      nodes.remove(n1);
      n1.close();
      // With the long first timeout still in force the joiners, started seconds ago, would not even ask for votes
      // before 20 s after their start.
      org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(8)).until(() -> n2.isLeaderReady() || n3.isLeaderReady());
    } finally {
      for (RaftCluster rc : nodes) {
        rc.close();
      }
    }
  }

  /**
   * A joined node that the leader has not added must neither campaign nor be shut down: the leader, whose committed
   * configuration lacks it, would answer a vote request from it with an order to shut down. It waits, paused.
   */
  @Test
  void joinedNodeNotYetAdded_doesNotCampaign_andKeepsRunning() throws Exception {
    Node p1 = node("n1");
    Node p2 = node("n2");
    PinnedPeers pinned = new PinnedPeers(Set.of(p1.id().id(), p2.id().id()));
    LocalMembership alone = new LocalMembership("shop", 1, List.of(p1.member()), List.of("n1"));
    LocalMembership both = new LocalMembership("shop", 1, List.of(p1.member(), p2.member()), List.of("n1", "n2"));
    try (RaftCluster n1 = start(p1.id(), p1.member(), alone, pinned)) {
      assertThat(n1.submit(new ClusterCommand.Bootstrap("shop", p1.member()), Duration.ofSeconds(20)).get().ok()).isTrue();
      // n2 believes it joined, but n1's state never got its Join: n1 never adds it.
      try (RaftCluster n2 = start(p2.id(), p2.member(), both, pinned)) {
        org.awaitility.Awaitility.await().during(Duration.ofSeconds(4)).atMost(Duration.ofSeconds(6)).until(() -> n2.running() && n2.electionsPausedUntilAdded() && "n1".equals(n1.leader()) && n1.isLeaderReady());
      }
    }
  }

  private RaftCluster start(NodeIdentity id, Member me, LocalMembership lm, PinnedPeers pinned) throws Exception {
    return start(id, me, lm, pinned, RaftSettings.SNAPSHOT_EVERY);
  }

  private RaftCluster start(NodeIdentity id, Member me, LocalMembership lm, PinnedPeers pinned, long snapshotEvery)
      throws Exception {
    int port = Integer.parseInt(me.raft().substring(me.raft().lastIndexOf(':') + 1));
    return RaftCluster.start(new RaftSettings(me.name(), dir.resolve(me.name()).resolve("raft"), lm, "127.0.0.1", port,
        id.keyManager(), pinned.trustManager("raft"), Duration.ofMillis(300), Duration.ofMillis(600), snapshotEvery));
  }

  /**
   * A node that joins after the leader took a snapshot and purged its log up to it gets the snapshot (Ratis'
   * InstallSnapshot), then the log after it. Ratis needs the state machine paused for that; before the fix it was
   * not, Ratis' StateMachineUpdater failed an assertion and closed the joining node's Raft server (seen when a witness
   * joined a two-node cluster that had run for a while).
   */
  @Test
  void nodeJoiningAfterTheLogWasPurged_installsTheLeadersSnapshot_andFollowsTheLog() throws Exception {
    Node p1 = node("n1");
    Node p2 = node("n2");
    PinnedPeers pinned = new PinnedPeers(Set.of(p1.id().id(), p2.id().id()));
    LocalMembership alone = new LocalMembership("shop", 1, List.of(p1.member()), List.of("n1"));
    long every = 20;
    try (RaftCluster n1 = start(p1.id(), p1.member(), alone, pinned, every)) {
      assertThat(n1.submit(new ClusterCommand.Bootstrap("shop", p1.member()), Duration.ofSeconds(20)).get().ok()).isTrue();
      invites(n1, "a", 30);
    }
    // A restart closes the log segment, so that the next snapshot can purge it.
    RaftCluster n1 = start(p1.id(), p1.member(), alone, pinned, every);
    try {
      org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(30)).until(n1::isLeaderReady);
      invites(n1, "b", 3 * (int) every);
      Path raft = dir.resolve("n1").resolve("raft");
      org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
        List<String> files = files(raft);
        assertThat(files).as("n1 took a snapshot").anyMatch(f -> f.matches("snapshot\\.\\d+_\\d+"));
        assertThat(files).as("and purged the log it covers").noneMatch(f -> f.startsWith("log_0-"));
      });

      long now = System.currentTimeMillis();
      n1.submit(new ClusterCommand.CreateInvite("join", "n1", now + 60_000), Duration.ofSeconds(10)).get();
      CommandResult joined = n1.submit(new ClusterCommand.Join("join", p2.member(), now), Duration.ofSeconds(10)).get();
      assertThat(joined.ok()).as(joined.message()).isTrue();
      LocalMembership both = new LocalMembership("shop", 1, List.of(p1.member(), p2.member()), List.of("n1", "n2"));
      try (RaftCluster n2 = start(p2.id(), p2.member(), both, pinned, every)) {
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(60)).until(() -> n1.votesInRaft("n2")
            && n2.state().members().containsKey("n2"));
        CommandResult after = n1.submit(new ClusterCommand.CreateInvite("after", "n1", now + 60_000), Duration.ofSeconds(10))
            .get();
        assertThat(after.ok()).as(after.message()).isTrue();
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
            assertThat(n2.state()).as("n2's state, from n1's snapshot and the log after it").isEqualTo(n1.state()));
        assertThat(n2.running()).as("n2's Raft server still runs").isTrue();
        assertThat(files(dir.resolve("n2").resolve("raft"))).as("n2 was sent the snapshot")
            .anyMatch(f -> f.matches("snapshot\\.\\d+_\\d+"));
      }
    } finally {
      n1.close();
    }
  }

  private static void invites(RaftCluster rc, String prefix, int n) throws Exception {
    for (int i = 0; i < n; i++) {
      CommandResult r = rc.submit(new ClusterCommand.CreateInvite(prefix + i, "n1", System.currentTimeMillis() + 60_000),
          Duration.ofSeconds(10)).get();
      assertThat(r.ok()).as(r.message()).isTrue();
    }
  }

  private static List<String> files(Path root) throws java.io.IOException {
    try (var s = java.nio.file.Files.walk(root)) {
      return s.filter(java.nio.file.Files::isRegularFile).map(p -> p.getFileName().toString()).toList();
    }
  }

  static int freePort() throws Exception {
    try (var s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }
}
