package tandem.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import tandem.it.harness.OwnedCluster;
import tandem.it.harness.TestCluster;
import tandem.transport.NodeIdentity;

/** Who may join: only a node with a fresh token, and only with the certificate the cluster pinned. */
class JoinTest {
  @RegisterExtension final OwnedCluster owned = new OwnedCluster();

  @Test
  void joinWithReusedOrBadToken_isRefusedWithClearMessage() throws Exception {
    TestCluster c = owned.own(TestCluster.create(TestCluster.runDir(getClass(), "badTokens"), List.of("n1", "n2", "n3"), null));
    c.initAll();
    c.startFirst("n1");
    String token = c.invite("n1");
    var first = c.join("n2", "n1", token);
    assertThat(first.exitCode()).as("first use of the token: %s", first).isZero();

    var reused = c.join("n3", "n1", token);
    assertThat(reused.exitCode()).as("reused token: %s", reused).isNotZero();
    assertThat(reused.output()).contains("already used by n2").contains("tandem invite");

    var garbage = c.join("n3", "n1", "this-is-no-token");
    assertThat(garbage.exitCode()).as("garbage token: %s", garbage).isEqualTo(2);
    assertThat(garbage.output()).contains("not a tandem join token");

    // A token that expires 1 ms after it is made is stale by the time a join JVM has started.
    String expired = c.invite("n1", "--ttl", "1ms");
    var late = c.join("n3", "n1", expired);
    assertThat(late.exitCode()).as("expired token: %s", late).isNotZero();
    assertThat(late.output()).contains("expired");

    assertThat(c.hasEvent("n1", "join-refused", "already used by n2")).as("the inviter's events tell of the reused token").isTrue();
    assertThat(c.hasEvent("n1", "join-refused", "expired")).as("the inviter's events tell of the expired token").isTrue();
    assertThat(c.node("n3").dataDir().resolve("cluster.json")).as("a refused join leaves no membership behind").doesNotExist();
    var fresh = c.join("n3", "n1", c.invite("n1"));
    assertThat(fresh.exitCode()).as("a fresh token after the refusals: %s", fresh).isZero();
  }

  @Test
  void nodeWithWrongCertificate_isRefused() throws Exception {
    TestCluster c = owned.own(TestCluster.create(TestCluster.runDir(getClass(), "wrongCertificate"), List.of("n1", "n2"), null));
    c.initAll();
    c.startAll();
    String oldId = idOf(c.status("n1"), "n2");

    // n2 is re-initialised: a new key and certificate, but it keeps its old cluster.json and so
    // believes it is still a member.
    c.kill9("n2");
    Path old = c.node("n2").dir().resolveSibling("n2-before-reinit");
    Files.move(c.node("n2").dir(), old);
    c.init("n2");
    Files.copy(old.resolve("data/cluster.json"), c.node("n2").dataDir().resolve("cluster.json"));
    String newId = NodeIdentity.load(c.node("n2").dataDir()).id().value();
    assertThat(newId).isNotEqualTo(oldId);
    c.startAgent("n2");

    await("both sides log the refusal").atMost(Duration.ofSeconds(30)).until(() ->
        c.log("n1").contains("not pinned") && c.log("n2").contains("refuses this node"));
    assertThat(c.log("n1")).as("n1's log says why").contains("was it re-initialised?");
    assertThat(c.log("n2")).as("n2's log says who refuses it").contains("n1 refuses this node");
    await("the refusal is an event on both sides").atMost(Duration.ofSeconds(10)).ignoreExceptions().until(() ->
        c.hasEvent("n2", "refused-by-peer", "was it re-initialised?") && c.hasEvent("n1", "peer-refused", "not pinned"));

    await("the re-initialised n2 never gets in").during(Duration.ofSeconds(4)).atMost(Duration.ofSeconds(10))
        .ignoreExceptions().until(() -> {
          JsonNode byN1 = c.status("n1");
          JsonNode byN2 = c.status("n2");
          return !TestCluster.memberIds(byN1).contains(newId) && idOf(byN1, "n2").equals(oldId)
              && byN2.path("leader").isNull() && !TestCluster.memberIds(byN2).contains(newId);
        });
  }

  /**
   * An operator prepares both new boxes before starting either: `tandem join` on n2 and on the
   * witness n3, then `tandem run` on both. The cluster must end up with three voters, as when
   * each node is started before the next one joins.
   */
  @Test
  void twoNodesJoinedBeforeEitherRuns_bothBecomeVoters() throws Exception {
    TestCluster c = owned.own(TestCluster.create(TestCluster.runDir(getClass(), "joinedBeforeRunning"), List.of("n1", "n2"), "n3"));
    c.initAll();
    c.startFirst("n1");
    assertThat(c.join("n2", "n1", c.invite("n1")).exitCode()).isZero();
    assertThat(c.join("n3", "n1", c.invite("n1")).exitCode()).isZero();
    c.startAgent("n2");
    c.startAgent("n3");

    for (String n : List.of("n2", "n3")) {
      c.awaitStatus(n, n + " follows a leader", Duration.ofSeconds(30),
          s -> !s.path("leader").isNull() && TestCluster.memberNames(s).containsAll(List.of("n1", "n2", "n3")));
    }
    assertThat(c.status("n1").path("automaticFailover").asText()).startsWith("possible");
  }

  private static String idOf(JsonNode status, String node) {
    for (JsonNode n : status.path("nodes")) {
      if (n.path("name").asText().equals(node)) {
        return n.path("id").asText();
      }
    }
    return "";
  }
}
