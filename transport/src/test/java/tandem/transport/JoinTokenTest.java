package tandem.transport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import tandem.core.NodeId;

class JoinTokenTest {
  private static final NodeId INVITER = new NodeId("a".repeat(52));
  private static final String SECRET = "abcdefghijklmnopqrstuvwxyz234567";

  @Test
  void encodeThenParse_givesTheSameToken() {
    JoinToken token = JoinToken.generate(INVITER);

    String text = token.encode();

    assertThat(text).isEqualTo("tdm1-" + INVITER.value() + "-" + token.secret());
    assertThat(JoinToken.parse(text)).isEqualTo(token);
    assertThat(JoinToken.parse("  " + text + "\n")).isEqualTo(token);
  }

  @Test
  void generate_makesA160BitBase32SecretThatIsFreshEachTime() {
    JoinToken a = JoinToken.generate(INVITER);
    JoinToken b = JoinToken.generate(INVITER);

    assertThat(a.secret()).matches("[a-z2-7]{32}");
    assertThat(a.secret()).isNotEqualTo(b.secret());
    assertThat(a.inviter()).isEqualTo(INVITER);
  }

  @Test
  void secretHash_isHexSha256OfTheSecret() throws Exception {
    JoinToken token = new JoinToken(INVITER, SECRET);
    String expected = HexFormat.of().formatHex(
        MessageDigest.getInstance("SHA-256").digest(SECRET.getBytes(StandardCharsets.US_ASCII)));

    assertThat(token.secretHash()).isEqualTo(expected).hasSize(64);
  }

  @Test
  void toString_hidesTheSecret() {
    assertThat(new JoinToken(INVITER, SECRET).toString()).doesNotContain(SECRET).contains(INVITER.shortForm());
  }

  @Test
  void parse_emptyText_saysToCopyTheWholeLine() {
    assertThatThrownBy(() -> JoinToken.parse(null)).hasMessageContaining("empty join token");
    assertThatThrownBy(() -> JoinToken.parse("  ")).hasMessageContaining("copy the whole line that `tandem invite` printed");
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', quoteCharacter = '"', value = {
      "hello | not a tandem join token: it should start with tdm1-; copy the whole line that `tandem invite` printed",
      "TDM1-x | not a tandem join token: it should start with tdm1-",
      "tdm2-abc-def | join token version tdm2 is not understood by this tandem",
      "tdm1-aaaa | join token is cut short",
      "tdm1-aaaa-abcdefghijklmnopqrstuvwxyz234567 | join token's node ID part 'aaaa' is not valid",
      "tdm1-" + "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb" + "-abc | join token's secret part is not valid: expected 32 base32 characters (a-z, 2-7), found 3 characters",
      "tdm1-" + "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb" + "-ABCDEFGHIJKLMNOPQRSTUVWXYZ234567 | join token's secret part is not valid",
      "tdm1-" + "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb" + "- | join token's secret part is not valid",
  })
  void parse_malformedToken_saysWhatIsWrong(String text, String message) {
    assertThatThrownBy(() -> JoinToken.parse(text))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(message);
  }

  @Test
  void constructor_rejectsABadSecret() {
    assertThatThrownBy(() -> new JoinToken(INVITER, "short")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new JoinToken(null, SECRET)).isInstanceOf(NullPointerException.class);
  }

  @Test
  void inviterTrust_acceptsOnlyTheInviter(@TempDir Path dir) {
    Identities identities = new Identities(dir);
    NodeIdentity inviter = identities.create("n1");
    NodeIdentity impostor = identities.create("n1-impostor");
    var trust = JoinToken.generate(inviter.id()).inviterTrust();

    assertThatCode(() -> trust.checkServerTrusted(new X509Certificate[] {inviter.certificate()}, "EC"))
        .doesNotThrowAnyException();
    assertThatThrownBy(() -> trust.checkServerTrusted(new X509Certificate[] {impostor.certificate()}, "EC"))
        .isInstanceOf(CertificateException.class)
        .hasMessageContaining("the join token trusts only " + inviter.id().shortForm());
  }
}
