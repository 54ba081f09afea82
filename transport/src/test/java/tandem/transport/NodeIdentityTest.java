package tandem.transport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.AlgorithmParameters;
import java.security.interfaces.ECPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.ECParameterSpec;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tandem.core.NodeName;

class NodeIdentityTest {
  @TempDir Path dir;

  @Test
  void createThenLoad_givesTheSameIdentity() throws Exception {
    NodeIdentity created = NodeIdentity.create(dir, new NodeName("n1"), List.of("db1.example.org"));

    NodeIdentity loaded = NodeIdentity.load(dir);

    assertThat(loaded.id()).isEqualTo(created.id());
    assertThat(loaded.certificate()).isEqualTo(created.certificate());
    assertThat(loaded.privateKey().getEncoded()).isEqualTo(created.privateKey().getEncoded());
    assertThat(loaded.certificatePem()).isEqualTo(Files.readString(dir.resolve("node.crt")));
  }

  @Test
  void keyFile_isReadableByItsOwnerOnly() throws Exception {
    NodeIdentity.create(dir, new NodeName("n1"), List.of());

    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("node.key"))))
        .isEqualTo("rw-------");
    assertThat(Files.readString(dir.resolve("node.key"))).startsWith("-----BEGIN PRIVATE KEY-----");
    assertThat(Files.readString(dir.resolve("node.crt"))).startsWith("-----BEGIN CERTIFICATE-----");
  }

  @Test
  void id_isTheStable52CharacterHashOfTheCertificate() throws Exception {
    NodeIdentity created = NodeIdentity.create(dir, new NodeName("n1"), List.of());

    assertThat(created.id().value()).hasSize(52).matches("[a-z2-7]{52}");
    assertThat(NodeIdentity.idOf(created.certificate())).isEqualTo(created.id());
    assertThat(NodeIdentity.load(dir).id()).isEqualTo(created.id());
    assertThat(NodeIdentity.load(dir).id()).isEqualTo(created.id());
  }

  @Test
  void twoNodes_getDifferentIds() throws Exception {
    NodeIdentity a = NodeIdentity.create(dir.resolve("a"), new NodeName("n1"), List.of());
    NodeIdentity b = NodeIdentity.create(dir.resolve("b"), new NodeName("n1"), List.of());

    assertThat(a.id()).isNotEqualTo(b.id());
  }

  @Test
  void create_refusesToOverwriteAnExistingIdentity() throws Exception {
    NodeIdentity first = NodeIdentity.create(dir, new NodeName("n1"), List.of());

    assertThatThrownBy(() -> NodeIdentity.create(dir, new NodeName("n1"), List.of()))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("node.key already exists: this node already has an identity;"
            + " delete it only if you mean to re-join the cluster as a new node");
    assertThat(NodeIdentity.load(dir).id()).isEqualTo(first.id());
  }

  @Test
  void create_refusesWhenOnlyTheCertificateIsLeft() throws Exception {
    Files.writeString(dir.resolve("node.crt"), "left over");

    assertThatThrownBy(() -> NodeIdentity.create(dir, new NodeName("n1"), List.of()))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("node.crt already exists");
    assertThat(dir.resolve("node.key")).doesNotExist();
  }

  @Test
  void load_withoutIdentity_saysToRunInit() {
    assertThatThrownBy(() -> NodeIdentity.load(dir))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("no node identity in " + dir)
        .hasMessageContaining("run `tandem init` first");
  }

  @Test
  void load_withCertificateMissing_saysTheIdentityIsIncomplete() throws Exception {
    NodeIdentity.create(dir, new NodeName("n1"), List.of());
    Files.delete(dir.resolve("node.crt"));

    assertThatThrownBy(() -> NodeIdentity.load(dir))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("node.crt is missing but node.key is there");
  }

  @Test
  void load_withCorruptKey_namesTheFile() throws Exception {
    NodeIdentity.create(dir, new NodeName("n1"), List.of());
    Files.writeString(dir.resolve("node.key"), "-----BEGIN PRIVATE KEY-----\nbm90IGEga2V5\n-----END PRIVATE KEY-----\n");

    assertThatThrownBy(() -> NodeIdentity.load(dir))
        .isInstanceOf(IOException.class)
        .hasMessageContaining(dir.resolve("node.key") + " is corrupt");
  }

  @Test
  void load_withCorruptCertificate_namesTheFile() throws Exception {
    NodeIdentity.create(dir, new NodeName("n1"), List.of());
    Files.write(dir.resolve("node.crt"), new byte[] {(byte) 0xff, 0x00, 0x12});

    assertThatThrownBy(() -> NodeIdentity.load(dir))
        .isInstanceOf(IOException.class)
        .hasMessageContaining(dir.resolve("node.crt") + " is corrupt");
  }

  @Test
  void load_withKeyOfAnotherNode_isRefused() throws Exception {
    NodeIdentity.create(dir.resolve("a"), new NodeName("n1"), List.of());
    NodeIdentity.create(dir.resolve("b"), new NodeName("n2"), List.of());
    Files.copy(dir.resolve("b/node.crt"), dir.resolve("a/node.crt"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);

    assertThatThrownBy(() -> NodeIdentity.load(dir.resolve("a")))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("does not belong to");
  }

  @Test
  void certificate_isSelfSignedP256WithNodeNameAndLongValidity() throws Exception {
    NodeIdentity identity = NodeIdentity.create(dir, new NodeName("db-2"), List.of());
    var certificate = identity.certificate();

    certificate.verify(certificate.getPublicKey());
    assertThat(certificate.getVersion()).isEqualTo(3);
    assertThat(certificate.getSigAlgName()).isEqualTo("SHA256withECDSA");
    assertThat(certificate.getSubjectX500Principal().getName()).isEqualTo("CN=tandem node db-2");
    assertThat(certificate.getIssuerX500Principal()).isEqualTo(certificate.getSubjectX500Principal());
    assertThat(certificate.getNotBefore().toInstant()).isBefore(Instant.now().minusSeconds(3500));
    assertThat(certificate.getNotAfter().toInstant())
        .isAfter(Instant.now().atZone(ZoneOffset.UTC).plusYears(99).toInstant());
    ECParameterSpec params = ((ECPublicKey) certificate.getPublicKey()).getParams();
    assertThat(params.getCurve()).isEqualTo(p256().getCurve());
    assertThat(params.getOrder()).isEqualTo(p256().getOrder());
  }

  @Test
  void subjectAltNames_ipLiteralsBecomeIpAddresses_othersDnsNames() throws Exception {
    NodeIdentity identity = NodeIdentity.create(dir, new NodeName("n1"),
        List.of("10.0.0.7", "db1.example.org", "fd00::7", "localhost"));

    assertThat(identity.certificate().getSubjectAlternativeNames())
        .extracting(entry -> List.of(entry.get(0), entry.get(1)))
        .containsExactlyInAnyOrder(
            List.of(7, "10.0.0.7"), List.of(2, "db1.example.org"), List.of(7, "fd00:0:0:0:0:0:0:7"), List.of(2, "localhost"));
  }

  @Test
  void certificatePem_parsesBackToTheSameCertificate() throws Exception {
    NodeIdentity identity = NodeIdentity.create(dir, new NodeName("n1"), List.of());

    var parsed = NodeIdentity.parseCertificatePem(identity.certificatePem());

    assertThat(parsed).isEqualTo(identity.certificate());
    assertThat(NodeIdentity.idOf(parsed)).isEqualTo(identity.id());
  }

  @Test
  void parseCertificatePem_rejectsWhatIsNotACertificate() {
    assertThatThrownBy(() -> NodeIdentity.parseCertificatePem("hello"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("-----BEGIN CERTIFICATE-----");
    assertThatThrownBy(() -> NodeIdentity.parseCertificatePem(""))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("empty certificate");
  }

  @Test
  void keyManager_presentsTheNodeCertificateForEcKeys() throws Exception {
    NodeIdentity identity = NodeIdentity.create(dir, new NodeName("n1"), List.of());
    var keyManager = identity.keyManager();

    String alias = keyManager.chooseServerAlias("EC", null, null);

    assertThat(alias).isNotNull();
    assertThat(keyManager.getCertificateChain(alias)).containsExactly(identity.certificate());
    assertThat(keyManager.getPrivateKey(alias)).isEqualTo(identity.privateKey());
    // NewSunX509 numbers its aliases per lookup, so compare what they lead to.
    String clientAlias = keyManager.chooseClientAlias(new String[] {"EC"}, null, null);
    assertThat(keyManager.getCertificateChain(clientAlias)).containsExactly(identity.certificate());
  }

  private static ECParameterSpec p256() throws Exception {
    AlgorithmParameters parameters = AlgorithmParameters.getInstance("EC");
    parameters.init(new ECGenParameterSpec("secp256r1"));
    return parameters.getParameterSpec(ECParameterSpec.class);
  }
}
