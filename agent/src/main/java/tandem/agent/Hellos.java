package tandem.agent;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tandem.cluster.ClusterState;
import tandem.cluster.Member;
import tandem.config.HostPort;
import tandem.core.NodeId;
import tandem.transport.NodeIdentity;
import tandem.transport.PinnedPeers;
import tandem.transport.TransportClient;
import tandem.transport.proto.HelloReply;
import tandem.transport.proto.HelloRequest;

/**
 * Whether members answer now: a hello to each over a fresh mutual-TLS connection (a pooled channel
 * to a node that was down may still be backing off after it came back), all at once.
 */
final class Hellos {
  private static final Logger LOG = LoggerFactory.getLogger(Hellos.class);

  private Hellos() {}

  /** The names of the {@code members} whose agents answer, as members of {@code s}'s cluster, within {@code timeout}. */
  static Set<String> answering(ClusterState s, Collection<Member> members, NodeIdentity me, String self, Duration timeout)
      throws InterruptedException {
    Set<String> out = ConcurrentHashMap.newKeySet();
    List<Thread> asks = new ArrayList<>();
    for (Member m : members) {
      asks.add(Thread.ofVirtual().name("hello-" + m.name()).start(() -> {
        if (answers(s, m, me, self, timeout)) {
          out.add(m.name());
        }
      }));
    }
    for (Thread t : asks) {
      t.join();
    }
    return new HashSet<>(out);
  }

  private static boolean answers(ClusterState s, Member m, NodeIdentity me, String self, Duration timeout) {
    HostPort hp = HostPort.parse(m.listen());
    var trust = new PinnedPeers(Set.of(new NodeId(m.nodeId()))).trustManager("hello");
    try (TransportClient c = TransportClient.connect(hp.host(), hp.port(), me, trust)) {
      HelloReply r = c.hello(HelloRequest.newBuilder().setCluster(s.cluster()).setName(self)
          .setGeneration(s.generation()).build(), timeout);
      return r.getMember();
    } catch (Exception e) {
      LOG.debug("{} does not answer: {}", m.name(), e.getMessage());
      return false;
    }
  }
}
