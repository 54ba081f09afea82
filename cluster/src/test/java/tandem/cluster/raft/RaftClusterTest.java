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
    NodeIdentity id = NodeIdentity.create(dir.resolve("n1"), new NodeName("n1"), List.of("127.0.0.1"));
    int port = freePort();
    Member me = new Member("n1", id.id().value(), id.certificatePem(), "127.0.0.1:1", "127.0.0.1:" + port, "127.0.0.1:2", false, 0);
    LocalMembership lm = new LocalMembership("shop", 1, List.of(me), List.of("n1"));
    PinnedPeers pinned = new PinnedPeers(Set.of(id.id()));
    try (RaftCluster rc = RaftCluster.start(new RaftSettings("n1", dir.resolve("raft"), lm, "127.0.0.1", port,
        id.keyManager(), pinned.trustManager("raft"), Duration.ofMillis(300), Duration.ofMillis(600)))) {
      CommandResult r = rc.submit(new ClusterCommand.Bootstrap("shop", me), Duration.ofSeconds(20)).get();
      assertThat(r.ok()).as(r.message()).isTrue();
      assertThat(rc.state().cluster()).isEqualTo("shop");
    }
  }

  static int freePort() throws Exception {
    try (var s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }
}
