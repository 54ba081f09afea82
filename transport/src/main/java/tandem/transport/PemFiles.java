package tandem.transport;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.StringReader;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.PrivateKey;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.Set;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;

/** Reads and writes the PEM files of a node identity: a PKCS#8 private key and an X.509 certificate. */
final class PemFiles {
  private static final FileAttribute<Set<PosixFilePermission>> OWNER_ONLY =
      PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"));

  private PemFiles() {}

  static String keyPem(PrivateKey key) {
    try {
      return pem(new JcaPKCS8Generator(key, null).generate());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot encode the private key as PKCS#8 PEM", e);
    }
  }

  static String certificatePem(X509Certificate certificate) {
    return pem(certificate);
  }

  /** Creates the file readable by its owner only; fails if it exists, so nothing is ever overwritten. */
  static void writeSecret(Path file, String text) throws IOException {
    Files.createFile(file, OWNER_ONLY);
    Files.writeString(file, text, StandardCharsets.US_ASCII, StandardOpenOption.TRUNCATE_EXISTING);
  }

  static void writeNew(Path file, String text) throws IOException {
    Files.writeString(file, text, StandardCharsets.US_ASCII, StandardOpenOption.CREATE_NEW);
  }

  static PrivateKey readKey(Path file) throws IOException {
    Object object;
    try (PEMParser parser = new PEMParser(new StringReader(read(file)))) {
      object = parser.readObject();
    } catch (IOException | RuntimeException e) {
      throw corrupt(file, e.getMessage(), e);
    }
    if (!(object instanceof PrivateKeyInfo info)) {
      String found = object == null ? "no PEM block" : object.getClass().getSimpleName();
      throw corrupt(file, "it holds no PKCS#8 private key (found " + found + ")", null);
    }
    try {
      return new JcaPEMKeyConverter().getPrivateKey(info);
    } catch (IOException e) {
      throw corrupt(file, e.getMessage(), e);
    }
  }

  static X509Certificate readCertificate(Path file) throws IOException {
    try {
      return parseCertificate(read(file));
    } catch (CertificateException | RuntimeException e) {
      throw corrupt(file, e.getMessage(), e);
    }
  }

  static X509Certificate parseCertificate(String pem) throws CertificateException {
    byte[] bytes = pem.getBytes(StandardCharsets.US_ASCII);
    return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(new ByteArrayInputStream(bytes));
  }

  /** PEM is ASCII; Latin-1 never fails to decode, so garbage reaches the parser and is named there. */
  private static String read(Path file) throws IOException {
    return Files.readString(file, StandardCharsets.ISO_8859_1);
  }

  private static IOException corrupt(Path file, String problem, Exception cause) {
    return new IOException(file + " is corrupt: " + problem
        + "; restore it from a backup, or remove this node from the cluster and join again as a new node", cause);
  }

  private static String pem(Object object) {
    StringWriter out = new StringWriter();
    try (JcaPEMWriter writer = new JcaPEMWriter(out)) {
      writer.writeObject(object);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot encode " + object.getClass().getSimpleName() + " as PEM", e);
    }
    return out.toString();
  }
}
