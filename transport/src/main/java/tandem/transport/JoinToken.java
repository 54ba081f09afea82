package tandem.transport;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;
import javax.net.ssl.X509ExtendedTrustManager;
import tandem.core.NodeId;

/**
 * A one-time invitation to join a cluster, printed by {@code tandem invite}: the inviter's node
 * ID, so the joiner can pin the server it dials, and a secret, so the inviter can tell the joiner
 * from anyone else. Its text form is {@code tdm1-<inviter node ID>-<secret>}.
 */
public record JoinToken(NodeId inviter, String secret) {
  static final String PREFIX = "tdm1-";
  private static final int SECRET_BYTES = 20;
  private static final int SECRET_CHARS = 32;
  private static final Pattern SECRET = Pattern.compile("[a-z2-7]{" + SECRET_CHARS + "}");
  private static final Pattern OTHER_VERSION = Pattern.compile("tdm[0-9]+-.*");
  private static final String COPY_HINT = "copy the whole line that `tandem invite` printed";
  private static final SecureRandom RANDOM = new SecureRandom();

  public JoinToken {
    Objects.requireNonNull(inviter, "inviter");
    if (secret == null || !SECRET.matcher(secret).matches()) {
      throw new IllegalArgumentException("join token secret is not valid: expected " + SECRET_CHARS
          + " base32 characters (a-z, 2-7); " + COPY_HINT);
    }
  }

  /** A new token with a fresh 160-bit secret from {@link SecureRandom}. */
  public static JoinToken generate(NodeId inviter) {
    byte[] bytes = new byte[SECRET_BYTES];
    RANDOM.nextBytes(bytes);
    return new JoinToken(inviter, LowerBase32.encode(bytes));
  }

  /**
   * Parses the text form; surrounding white space is ignored.
   *
   * @throws IllegalArgumentException saying which part is wrong and how to get a good token
   */
  public static JoinToken parse(String text) {
    String token = requirePrefix(text);
    String rest = token.substring(PREFIX.length());
    int dash = rest.indexOf('-');
    if (dash < 0) {
      throw new IllegalArgumentException("join token is cut short: expected tdm1-<node ID>-<secret>; " + COPY_HINT);
    }
    return new JoinToken(inviterPart(rest.substring(0, dash)), secretPart(rest.substring(dash + 1)));
  }

  /** The text form, {@code tdm1-<inviter node ID>-<secret>}, to hand to the joining node. */
  public String encode() {
    return PREFIX + inviter.value() + "-" + secret;
  }

  /** Hex SHA-256 of the secret: what the inviter stores, so the cluster state never holds the secret. */
  public String secretHash() {
    try {
      byte[] hash = MessageDigest.getInstance("SHA-256").digest(secret.getBytes(StandardCharsets.US_ASCII));
      return HexFormat.of().formatHex(hash);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("this JVM has no SHA-256, which every Java SE platform must provide", e);
    }
  }

  /** Trusts only the inviter's certificate: the joiner talks to the server only if it is the inviter. */
  public X509ExtendedTrustManager inviterTrust() {
    return new PinnedPeers(Set.of(inviter)).trustManager("the join token");
  }

  /** Hides the secret, which must not end up in logs. */
  @Override
  public String toString() {
    return "JoinToken[inviter=" + inviter.shortForm() + ", secret=(hidden)]";
  }

  private static String requirePrefix(String text) {
    if (text == null || text.isBlank()) {
      throw new IllegalArgumentException("empty join token: " + COPY_HINT);
    }
    String token = text.strip();
    if (token.startsWith(PREFIX)) {
      return token;
    }
    if (OTHER_VERSION.matcher(token).matches()) {
      throw new IllegalArgumentException("join token version " + token.substring(0, token.indexOf('-'))
          + " is not understood by this tandem, which reads tdm1 tokens: run the same tandem version on both nodes");
    }
    throw new IllegalArgumentException("not a tandem join token: it should start with " + PREFIX + "; " + COPY_HINT);
  }

  private static NodeId inviterPart(String text) {
    try {
      return new NodeId(text);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("join token's node ID part '" + text + "' is not valid: expected 52"
          + " base32 characters (a-z, 2-7) after tdm1-; " + COPY_HINT, e);
    }
  }

  private static String secretPart(String text) {
    if (!SECRET.matcher(text).matches()) {
      throw new IllegalArgumentException("join token's secret part is not valid: expected " + SECRET_CHARS
          + " base32 characters (a-z, 2-7), found " + text.length() + " characters; " + COPY_HINT);
    }
    return text;
  }
}
