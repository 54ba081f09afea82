package tandem.cluster.raft;

import java.nio.file.Path;
import java.time.Duration;
import javax.net.ssl.X509ExtendedTrustManager;
import javax.net.ssl.X509KeyManager;
import tandem.cluster.LocalMembership;

/**
 * How to run this node's Raft member.
 *
 * @param self this node's name (its Raft peer ID)
 * @param storageDir where Raft keeps its log and snapshots
 * @param membership the cluster and voters to start with
 * @param bindHost the address the Raft server binds to
 * @param bindPort its port
 * @param keyManager this node's TLS identity
 * @param trustManager the pinned peers' trust manager
 * @param electionTimeoutMin lower bound of the randomised election timeout
 * @param electionTimeoutMax upper bound
 * @param snapshotEvery how many applied commands between two snapshots of the state (the log is purged up to the
 *     snapshot, so a node that joins later, or falls that far behind, is sent the snapshot)
 */
public record RaftSettings(
    String self,
    Path storageDir,
    LocalMembership membership,
    String bindHost,
    int bindPort,
    X509KeyManager keyManager,
    X509ExtendedTrustManager trustManager,
    Duration electionTimeoutMin,
    Duration electionTimeoutMax,
    long snapshotEvery) {
  /** Commands between two snapshots: lease renewals are in the log, so a busy cluster makes one every few hours. */
  public static final long SNAPSHOT_EVERY = 5000;

  /** Settings with the default {@link #SNAPSHOT_EVERY}. */
  public RaftSettings(String self, Path storageDir, LocalMembership membership, String bindHost, int bindPort,
      X509KeyManager keyManager, X509ExtendedTrustManager trustManager, Duration electionTimeoutMin,
      Duration electionTimeoutMax) {
    this(self, storageDir, membership, bindHost, bindPort, keyManager, trustManager, electionTimeoutMin, electionTimeoutMax,
        SNAPSHOT_EVERY);
  }
}
