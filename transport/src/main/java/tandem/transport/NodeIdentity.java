package tandem.transport;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.cert.CertificateEncodingException;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.List;
import javax.net.ssl.X509KeyManager;
import tandem.core.NodeId;
import tandem.core.NodeName;

/**
 * A node's key pair and self-signed certificate: what it proves itself with in every TLS
 * handshake. Its {@link #id()} is the hash of the certificate, which peers pin.
 *
 * <p>On disk it is two files in the node's directory: {@code node.key} (PKCS#8 PEM, mode 0600)
 * and {@code node.crt} (PEM). Instances are immutable and safe to share between threads.
 */
public final class NodeIdentity {
  static final String KEY_FILE = "node.key";
  static final String CERT_FILE = "node.crt";
  // Only protects the in-memory key store the JDK's key manager needs; never written anywhere.

  private final X509Certificate certificate;
  private final PrivateKey privateKey;
  private final NodeId id;
  private final X509KeyManager keyManager;

  private NodeIdentity(X509Certificate certificate, PrivateKey privateKey) throws GeneralSecurityException {
    this.certificate = certificate;
    this.privateKey = privateKey;
    this.id = idOf(certificate);
    this.keyManager = newKeyManager(certificate, privateKey);
  }

  /**
   * Creates a new identity (EC P-256 key, self-signed certificate) and writes it to {@code dir}.
   *
   * @param subjectAltNames host names and IP addresses this node is reached at; IP literals become
   *     IP address entries, anything else DNS names. Informational only: peers pin the ID.
   * @throws IOException if {@code dir} already holds an identity (it is never overwritten) or the
   *     files cannot be written
   */
  public static NodeIdentity create(Path dir, NodeName name, List<String> subjectAltNames) throws IOException {
    Path keyFile = dir.resolve(KEY_FILE);
    Path certFile = dir.resolve(CERT_FILE);
    refuseExisting(keyFile);
    refuseExisting(certFile);
    NodeIdentity identity = generate(name, subjectAltNames);
    Files.createDirectories(dir);
    PemFiles.writeSecret(keyFile, PemFiles.keyPem(identity.privateKey));
    PemFiles.writeNew(certFile, identity.certificatePem());
    return identity;
  }

  /**
   * Loads the identity that {@link #create} wrote to {@code dir}.
   *
   * @throws IOException naming the file and the next step when a file is missing, corrupt, or
   *     the key does not belong to the certificate
   */
  public static NodeIdentity load(Path dir) throws IOException {
    Path keyFile = dir.resolve(KEY_FILE);
    Path certFile = dir.resolve(CERT_FILE);
    requireExisting(keyFile, certFile);
    requireExisting(certFile, keyFile);
    X509Certificate certificate = PemFiles.readCertificate(certFile);
    PrivateKey key = PemFiles.readKey(keyFile);
    requireMatchingPair(certificate, key, dir);
    try {
      return new NodeIdentity(certificate, key);
    } catch (GeneralSecurityException e) {
      throw new IOException("cannot use the identity in " + dir + ": " + e.getMessage(), e);
    }
  }

  /** The node ID of whoever holds this certificate: lower-case base32 of SHA-256 over its DER bytes. */
  public static NodeId idOf(X509Certificate certificate) {
    try {
      byte[] hash = MessageDigest.getInstance("SHA-256").digest(certificate.getEncoded());
      return new NodeId(LowerBase32.encode(hash));
    } catch (CertificateEncodingException | NoSuchAlgorithmException e) {
      throw new IllegalArgumentException("cannot hash certificate " + certificate.getSubjectX500Principal() + ": " + e.getMessage(), e);
    }
  }

  /**
   * Parses one PEM-encoded X.509 certificate, e.g. a peer's {@code certificate_pem}.
   *
   * @throws IllegalArgumentException if the text is not a PEM certificate
   */
  public static X509Certificate parseCertificatePem(String pem) {
    if (pem == null || pem.isBlank()) {
      throw new IllegalArgumentException("empty certificate: expected a PEM block starting with -----BEGIN CERTIFICATE-----");
    }
    try {
      return PemFiles.parseCertificate(pem);
    } catch (CertificateException e) {
      throw new IllegalArgumentException("not a PEM certificate (" + e.getMessage()
          + "): expected a PEM block starting with -----BEGIN CERTIFICATE-----", e);
    }
  }

  public NodeId id() {
    return id;
  }

  public X509Certificate certificate() {
    return certificate;
  }

  public PrivateKey privateKey() {
    return privateKey;
  }

  public String certificatePem() {
    return PemFiles.certificatePem(certificate);
  }

  /** A key manager that presents this identity, as a TLS server and as a TLS client. */
  public X509KeyManager keyManager() {
    return keyManager;
  }

  @Override
  public String toString() {
    return "NodeIdentity[" + id.shortForm() + ", " + NodeCertificate.commonName(certificate) + "]";
  }

  private static NodeIdentity generate(NodeName name, List<String> subjectAltNames) throws IOException {
    try {
      KeyPair keys = NodeCertificate.newKeyPair();
      return new NodeIdentity(NodeCertificate.selfSigned(keys, name, subjectAltNames), keys.getPrivate());
    } catch (GeneralSecurityException e) {
      throw new IOException("cannot create the identity of node " + name + ": " + e.getMessage(), e);
    }
  }

  private static X509KeyManager newKeyManager(X509Certificate certificate, PrivateKey key) {
    return new SingleKeyManager(key, certificate);
  }

  private static void refuseExisting(Path file) throws IOException {
    if (Files.exists(file)) {
      throw new IOException(file + " already exists: this node already has an identity;"
          + " delete it only if you mean to re-join the cluster as a new node");
    }
  }

  private static void requireExisting(Path file, Path partner) throws IOException {
    if (Files.exists(file)) {
      return;
    }
    if (Files.exists(partner)) {
      throw new IOException(file + " is missing but " + partner.getFileName() + " is there: the identity is"
          + " incomplete; restore " + file.getFileName() + " from a backup, or delete "
          + partner.getFileName() + " and run `tandem init` to start over as a new node");
    }
    throw new IOException("no node identity in " + file.getParent() + " (" + file.getFileName()
        + " is missing): run `tandem init` first");
  }

  /** Signs a probe and checks it with the certificate, so a key and certificate of different nodes never pair up. */
  private static void requireMatchingPair(X509Certificate certificate, PrivateKey key, Path dir) throws IOException {
    byte[] probe = ("tandem identity check " + dir).getBytes(StandardCharsets.UTF_8);
    try {
      Signature signer = Signature.getInstance(NodeCertificate.SIGNATURE);
      signer.initSign(key);
      signer.update(probe);
      Signature verifier = Signature.getInstance(NodeCertificate.SIGNATURE);
      verifier.initVerify(certificate.getPublicKey());
      verifier.update(probe);
      if (verifier.verify(signer.sign())) {
        return;
      }
    } catch (GeneralSecurityException e) {
      throw mismatch(dir, e.getMessage(), e);
    }
    throw mismatch(dir, "the key did not sign what the certificate verifies", null);
  }

  private static IOException mismatch(Path dir, String detail, Exception cause) {
    return new IOException(dir.resolve(KEY_FILE) + " does not belong to " + dir.resolve(CERT_FILE) + " (" + detail
        + "): both must come from the same `tandem init`; restore them together from a backup", cause);
  }
}
