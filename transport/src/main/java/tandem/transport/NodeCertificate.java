package tandem.transport;

import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Date;
import java.util.List;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x500.style.IETFUtils;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.CertIOException;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.util.IPAddress;
import tandem.core.NodeName;

/**
 * The self-signed certificate of a node. Peers pin it by the hash of its DER bytes, so nothing
 * here is checked by a CA: the long validity and the names are for humans and tools that look.
 */
final class NodeCertificate {
  static final String SIGNATURE = "SHA256withECDSA";
  private static final Duration BACKDATE = Duration.ofHours(1);
  private static final int VALID_YEARS = 100;

  private NodeCertificate() {}

  static KeyPair newKeyPair() throws GeneralSecurityException {
    KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
    generator.initialize(new ECGenParameterSpec("secp256r1"), new SecureRandom());
    return generator.generateKeyPair();
  }

  static X509Certificate selfSigned(KeyPair keys, NodeName name, List<String> subjectAltNames)
      throws GeneralSecurityException {
    X500Name subject = new X500NameBuilder(BCStyle.INSTANCE).addRDN(BCStyle.CN, "tandem node " + name).build();
    // Backdated an hour so a peer whose clock is a little behind still sees a valid certificate.
    Instant now = Instant.now();
    Instant notAfter = now.atZone(ZoneOffset.UTC).plusYears(VALID_YEARS).toInstant();
    X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(
        subject, new BigInteger(127, new SecureRandom()), Date.from(now.minus(BACKDATE)),
        Date.from(notAfter), subject, keys.getPublic());
    try {
      addExtensions(builder, subjectAltNames);
      return new JcaX509CertificateConverter().getCertificate(
          builder.build(new JcaContentSignerBuilder(SIGNATURE).build(keys.getPrivate())));
    } catch (CertIOException | OperatorCreationException e) {
      throw new GeneralSecurityException("cannot build the certificate of node " + name + ": " + e.getMessage(), e);
    }
  }

  /** The certificate's common name, or its whole subject when it has none. */
  static String commonName(X509Certificate certificate) {
    X500Name subject = X500Name.getInstance(certificate.getSubjectX500Principal().getEncoded());
    var cns = subject.getRDNs(BCStyle.CN);
    return cns.length == 0 ? subject.toString() : IETFUtils.valueToString(cns[0].getFirst().getValue());
  }

  private static void addExtensions(X509v3CertificateBuilder builder, List<String> subjectAltNames)
      throws CertIOException {
    builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
    builder.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature));
    builder.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(
        new KeyPurposeId[] {KeyPurposeId.id_kp_serverAuth, KeyPurposeId.id_kp_clientAuth}));
    if (!subjectAltNames.isEmpty()) {
      builder.addExtension(Extension.subjectAlternativeName, false, generalNames(subjectAltNames));
    }
  }

  private static GeneralNames generalNames(List<String> subjectAltNames) {
    return new GeneralNames(subjectAltNames.stream().map(NodeCertificate::generalName).toArray(GeneralName[]::new));
  }

  /** An IPv4 or IPv6 literal becomes an IP address entry; anything else a DNS name. */
  static GeneralName generalName(String san) {
    String trimmed = san.trim();
    if (trimmed.isEmpty()) {
      throw new IllegalArgumentException("empty subject alternative name: give a host name or an IP address");
    }
    int tag = IPAddress.isValid(trimmed) ? GeneralName.iPAddress : GeneralName.dNSName;
    return new GeneralName(tag, trimmed);
  }
}
