package tandem.transport;

import java.net.Socket;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.Arrays;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedKeyManager;

/**
 * A key manager holding exactly one identity: the node's EC key and its self-signed certificate.
 * The JDK's own key managers also filter by the peer's signature algorithms, which Ratis' shaded
 * OpenSSL engine reports in names the JDK does not recognise, so they found no key at all; with
 * one key there is nothing to choose, only a key type to match.
 */
final class SingleKeyManager extends X509ExtendedKeyManager {
  private static final String ALIAS = "tandem-node";
  private final PrivateKey key;
  private final X509Certificate certificate;

  SingleKeyManager(PrivateKey key, X509Certificate certificate) {
    this.key = key;
    this.certificate = certificate;
  }

  private boolean fits(String keyType) {
    return keyType != null && (keyType.equals(key.getAlgorithm()) || keyType.startsWith(key.getAlgorithm() + "_")
        || keyType.equals("EC") && key.getAlgorithm().equals("EC"));
  }

  private String aliasFor(String... keyTypes) {
    return keyTypes != null && Arrays.stream(keyTypes).anyMatch(this::fits) ? ALIAS : null;
  }

  @Override
  public String[] getClientAliases(String keyType, Principal[] issuers) {
    return fits(keyType) ? new String[] {ALIAS} : null;
  }

  @Override
  public String chooseClientAlias(String[] keyType, Principal[] issuers, Socket socket) {
    return aliasFor(keyType);
  }

  @Override
  public String[] getServerAliases(String keyType, Principal[] issuers) {
    return fits(keyType) ? new String[] {ALIAS} : null;
  }

  @Override
  public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
    return aliasFor(keyType);
  }

  @Override
  public String chooseEngineClientAlias(String[] keyType, Principal[] issuers, SSLEngine engine) {
    return aliasFor(keyType);
  }

  @Override
  public String chooseEngineServerAlias(String keyType, Principal[] issuers, SSLEngine engine) {
    return aliasFor(keyType);
  }

  @Override
  public X509Certificate[] getCertificateChain(String alias) {
    return ALIAS.equals(alias) ? new X509Certificate[] {certificate} : null;
  }

  @Override
  public PrivateKey getPrivateKey(String alias) {
    return ALIAS.equals(alias) ? key : null;
  }
}
