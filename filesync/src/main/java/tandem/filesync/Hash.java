package tandem.filesync;

import com.google.protobuf.ByteOutput;
import com.google.protobuf.ByteString;
import com.google.protobuf.UnsafeByteOperations;
import java.io.IOException;
import java.io.UncheckedIOException;
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

  /**
   * The hash of {@code bytes}, read where they lie: a received chunk is hashed from the array it was
   * parsed into, in one call. ({@code MessageDigest.update(ByteBuffer)} on the read-only view a
   * ByteString gives copies it 4 KiB at a time into a scratch array first; on the replica that copy
   * loop took most of the receiving thread's samples, bench/RESULTS.md files run 5.)
   */
  static Hash of(ByteString bytes) {
    MessageDigest sha = DIGEST.get();
    try {
      UnsafeByteOperations.unsafeWriteTo(bytes, new DigestOutput(sha));
    } catch (IOException e) {
      throw new UncheckedIOException("hashing bytes in memory failed", e); // DigestOutput never throws
    }
    return fromBytes(sha.digest());
  }

  /** Feeds whatever a ByteString hands over straight to a digest; it only reads the arrays. */
  private static final class DigestOutput extends ByteOutput {
    private final MessageDigest sha;

    DigestOutput(MessageDigest sha) {
      this.sha = sha;
    }

    @Override
    public void write(byte value) {
      sha.update(value);
    }

    @Override
    public void write(byte[] value, int offset, int length) {
      sha.update(value, offset, length);
    }

    @Override
    public void writeLazy(byte[] value, int offset, int length) {
      sha.update(value, offset, length);
    }

    @Override
    public void write(ByteBuffer value) {
      sha.update(value);
    }

    @Override
    public void writeLazy(ByteBuffer value) {
      sha.update(value);
    }
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
