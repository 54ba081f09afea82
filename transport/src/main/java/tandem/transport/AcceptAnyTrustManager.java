package tandem.transport;

import java.net.Socket;
import java.security.cert.X509Certificate;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * Accepts any certificate, and does no hostname verification. Only for the transport server,
 * which needs the caller's certificate (ClientAuth.REQUIRE) but authorizes per call by its ID.
 */
final class AcceptAnyTrustManager extends X509ExtendedTrustManager {
  static final AcceptAnyTrustManager INSTANCE = new AcceptAnyTrustManager();
  private static final X509Certificate[] NO_ISSUERS = new X509Certificate[0];

  private AcceptAnyTrustManager() {}

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType) {}

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) {}

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) {}

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType) {}

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) {}

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) {}

  @Override
  public X509Certificate[] getAcceptedIssuers() {
    return NO_ISSUERS;
  }
}
