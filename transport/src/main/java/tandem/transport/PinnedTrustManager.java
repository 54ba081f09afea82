package tandem.transport;

import java.net.Socket;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.stream.Collectors;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedTrustManager;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tandem.core.NodeId;

/**
 * Accepts a TLS peer only if its certificate's node ID is pinned. Extends
 * X509ExtendedTrustManager so the JDK does not wrap it with hostname verification: nodes are
 * identified by certificate hash, and addresses change (VIPs, NAT, "localhost" vs 127.0.0.1).
 */
final class PinnedTrustManager extends X509ExtendedTrustManager {
  private static final Logger LOG = LoggerFactory.getLogger(PinnedTrustManager.class);
  static final String FIX = "if this node was re-initialised with `tandem init`, remove it from the cluster"
      + " and join again with a new token from `tandem invite`";
  private static final X509Certificate[] NO_ISSUERS = new X509Certificate[0];

  private final PinnedPeers pinned;
  private final String purpose;

  PinnedTrustManager(PinnedPeers pinned, String purpose) {
    this.pinned = pinned;
    this.purpose = purpose;
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
    check(chain, "client");
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
    check(chain, "client");
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
    check(chain, "client");
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
    check(chain, "server");
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
    check(chain, "server");
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
    check(chain, "server");
  }

  @Override
  public X509Certificate[] getAcceptedIssuers() {
    return NO_ISSUERS;
  }

  private void check(X509Certificate[] chain, String side) throws CertificateException {
    if (chain == null || chain.length == 0) {
      throw refuse("the " + side + " offered no certificate: tandem peers must present their node certificate");
    }
    NodeId offered = NodeIdentity.idOf(chain[0]);
    if (!pinned.contains(offered)) {
      throw refuse(refusal(side, offered, NodeCertificate.commonName(chain[0])));
    }
  }

  private String refusal(String side, NodeId offered, String commonName) {
    // The client checks the server: a wrong address is the likelier mistake, so it comes first.
    String hint = side.equals("server") ? "check the address; " : "";
    return "the " + side + "'s certificate " + offered.shortForm() + " (" + commonName + ", node ID " + offered
        + ") is not pinned: " + purpose + " trusts " + pinnedList() + "; " + hint + FIX;
  }

  private String pinnedList() {
    var ids = pinned.snapshot();
    if (ids.isEmpty()) {
      return "no node yet";
    }
    return "only " + ids.stream().map(NodeId::shortForm).sorted().collect(Collectors.joining(", "));
  }

  /** Logged here too: the TLS peer sees at most an alert, and the local caller may only see "handshake failed". */
  private CertificateException refuse(String message) {
    LOG.warn("TLS peer refused: {}", message);
    pinned.refused(message);
    return new CertificateException(message);
  }
}
