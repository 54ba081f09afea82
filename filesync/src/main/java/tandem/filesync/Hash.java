package tandem.filesync;

import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * A SHA-256 digest held as four longs, so a million of them cost 32 MB, not a million arrays.
 */
public record Hash(long a, long b, long c, long d) {
  public static final int BYTES = 32;

  /** The hash of {@code bytes[offset, offset+length)}. */
  public static Hash of(byte[] bytes, int offset, int length) {
    MessageDigest sha = DIGEST.get();
    sha.update(bytes, offset, length);
    return fromBytes(sha.digest());
  }

  /** The hash of the bytes remaining in {@code bytes} (which it consumes). */
  public static Hash of(java.nio.ByteBuffer bytes) {
    MessageDigest sha = DIGEST.get();
    sha.update(bytes);
    return fromBytes(sha.digest());
  }

  private static final ThreadLocal<MessageDigest> DIGEST = ThreadLocal.withInitial(Hash::sha256);

  /** Reads a 32-byte digest; throws IllegalArgumentException on any other length. */
  public static Hash fromBytes(byte[] digest) {
    if (digest.length != BYTES) {
      throw new IllegalArgumentException("a SHA-256 hash has 32 bytes, got " + digest.length);
    }
    ByteBuffer b = ByteBuffer.wrap(digest);
    return new Hash(b.getLong(), b.getLong(), b.getLong(), b.getLong());
  }

  public byte[] toBytes() {
    return ByteBuffer.allocate(BYTES).putLong(a).putLong(b).putLong(c).putLong(d).array();
  }

  /** A fresh SHA-256 digest (hardware accelerated by the JDK where the CPU has SHA-NI). */
  public static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("this JDK has no SHA-256", e);
    }
  }

  @Override
  public String toString() {
    return HexFormat.of().formatHex(toBytes()).substring(0, 16);
  }
}
