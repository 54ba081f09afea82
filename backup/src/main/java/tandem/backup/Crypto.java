package tandem.backup;

import com.github.luben.zstd.Zstd;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Arrays;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.Mac;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * The repository's two keys and what is done with them: blob ids are HMAC-SHA256 of the plain
 * bytes under the id key (so equal data has equal ids, and ids reveal nothing without the key);
 * every stored object is zstd-compressed, then sealed with AES-256-GCM under the data key, with a
 * random 96-bit nonce and the object's id or kind as associated data, so an object cannot be
 * swapped for another undetected. Stored form: nonce (12 bytes), ciphertext, tag (16 bytes).
 */
final class Crypto {
  static final int KEY_BYTES = 32;
  static final int NONCE_BYTES = 12;
  static final int TAG_BITS = 128;
  private static final int ZSTD_LEVEL = 3;
  private static final SecureRandom RANDOM = new SecureRandom();

  private final SecretKeySpec dataKey;
  private final SecretKeySpec idKey;

  Crypto(byte[] dataKey, byte[] idKey) {
    if (dataKey.length != KEY_BYTES || idKey.length != KEY_BYTES) {
      throw new IllegalArgumentException("keys must have 32 bytes");
    }
    this.dataKey = new SecretKeySpec(dataKey, "AES");
    this.idKey = new SecretKeySpec(idKey, "HmacSHA256");
  }

  static byte[] random(int n) {
    byte[] b = new byte[n];
    RANDOM.nextBytes(b);
    return b;
  }

  /** The id of a blob: the keyed hash of its plain bytes, as 64 hex digits. */
  String id(byte[] plain, int offset, int length) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(idKey);
      mac.update(plain, offset, length);
      return java.util.HexFormat.of().formatHex(mac.doFinal());
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is missing from this JDK", e);
    }
  }

  /** Compresses and seals {@code plain}, bound to {@code associated}. */
  byte[] seal(byte[] plain, String associated) {
    byte[] packed = Zstd.compress(plain, ZSTD_LEVEL);
    byte[] body = new byte[1 + Math.min(packed.length, plain.length)];
    if (packed.length < plain.length) {
      body[0] = 1; // zstd
      System.arraycopy(packed, 0, body, 1, packed.length);
    } else {
      body[0] = 0; // stored: incompressible data is not made bigger
      System.arraycopy(plain, 0, body, 1, plain.length);
    }
    return aead(dataKey, body, associated);
  }

  /** Opens what {@link #seal} made; throws {@link CorruptException} when it was changed or belongs elsewhere. */
  byte[] open(byte[] sealed, String associated, String what) throws CorruptException {
    byte[] body = unseal(dataKey, sealed, associated, what);
    if (body.length == 0) {
      throw new CorruptException(what + " is empty inside");
    }
    byte[] rest = Arrays.copyOfRange(body, 1, body.length);
    if (body[0] == 0) {
      return rest;
    }
    long size = Zstd.getFrameContentSize(rest);
    if (body[0] != 1 || size < 0 || size > Integer.MAX_VALUE) {
      throw new CorruptException(what + " has an unknown or damaged compression header");
    }
    return Zstd.decompress(rest, (int) size);
  }

  static byte[] aead(SecretKeySpec key, byte[] plain, String associated) {
    try {
      byte[] nonce = random(NONCE_BYTES);
      Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
      c.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, nonce));
      c.updateAAD(associated.getBytes(java.nio.charset.StandardCharsets.UTF_8));
      byte[] ct = c.doFinal(plain);
      byte[] out = new byte[NONCE_BYTES + ct.length];
      System.arraycopy(nonce, 0, out, 0, NONCE_BYTES);
      System.arraycopy(ct, 0, out, NONCE_BYTES, ct.length);
      return out;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-GCM failed: " + e, e);
    }
  }

  static byte[] unseal(SecretKeySpec key, byte[] sealed, String associated, String what) throws CorruptException {
    if (sealed.length < NONCE_BYTES + TAG_BITS / 8) {
      throw new CorruptException(what + " is truncated (" + sealed.length + " bytes)");
    }
    try {
      Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
      c.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, sealed, 0, NONCE_BYTES));
      c.updateAAD(associated.getBytes(java.nio.charset.StandardCharsets.UTF_8));
      return c.doFinal(sealed, NONCE_BYTES, sealed.length - NONCE_BYTES);
    } catch (AEADBadTagException e) {
      throw new CorruptException(what + " does not authenticate: it was changed, damaged, or belongs to another repository");
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-GCM failed: " + e, e);
    }
  }
}
