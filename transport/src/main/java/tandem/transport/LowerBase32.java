package tandem.transport;

import java.util.Locale;
import org.bouncycastle.util.encoders.Base32;

/** The RFC 4648 base32 alphabet in lower case without padding, as node IDs and token secrets use it. */
final class LowerBase32 {
  private LowerBase32() {}

  static String encode(byte[] bytes) {
    return Base32.toBase32String(bytes).replace("=", "").toLowerCase(Locale.ROOT);
  }
}
