package tandem.backup;

import com.github.luben.zstd.Zstd;
import com.github.luben.zstd.ZstdCompressCtx;
import com.github.luben.zstd.ZstdDecompressCtx;
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
  /**
   * Nonces come from a DRBG per thread, seeded from the system: the shared default SecureRandom
   * (NativePRNG) reads /dev/urandom under a lock for every call, thousands of times a second here.
   */
  private static final ThreadLocal<SecureRandom> NONCES = ThreadLocal.withInitial(() -> {
    try {
      return SecureRandom.getInstance("DRBG");
    } catch (java.security.NoSuchAlgorithmException e) {
      return new SecureRandom();
    }
  });

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

  /*
   * A backup seals thousands of chunks a second on several threads: looking up a Mac or Cipher,
   * or making a zstd context (a MiB of tables set up per call by Zstd.compress), per chunk showed in
   * the profile. Each thread keeps its Mac and Ciphers; zstd contexts, which are native memory
   * with no cleaner, are lent from a small pool shared by the process instead of per thread.
   */
  private final ThreadLocal<Mac> macs = ThreadLocal.withInitial(this::newMac);
  private static final ThreadLocal<Cipher> CIPHERS = ThreadLocal.withInitial(Crypto::newCipher);
  private static final ThreadLocal<byte[]> SCRATCH = ThreadLocal.withInitial(() -> new byte[0]);
  private static final int POOLED = 2 * Math.max(2, Runtime.getRuntime().availableProcessors());
  private static final java.util.concurrent.ArrayBlockingQueue<ZstdCompressCtx> COMPRESSORS =
      new java.util.concurrent.ArrayBlockingQueue<>(POOLED);
  private static final java.util.concurrent.ArrayBlockingQueue<ZstdDecompressCtx> DECOMPRESSORS =
      new java.util.concurrent.ArrayBlockingQueue<>(POOLED);

  private Mac newMac() {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(idKey);
      return mac;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is missing from this JDK", e);
    }
  }

  private static Cipher newCipher() {
    try {
      return Cipher.getInstance("AES/GCM/NoPadding");
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES/GCM is missing from this JDK", e);
    }
  }

  /** A buffer of this thread's of at least {@code n} bytes, for data that does not outlive the call. */
  private static byte[] scratch(int n) {
    byte[] b = SCRATCH.get();
    if (b.length < n) {
      b = new byte[Math.max(n, 2 * b.length)];
      SCRATCH.set(b);
    }
    return b;
  }

  /** The id of a blob: the keyed hash of its plain bytes, as 64 hex digits. */
  String id(byte[] plain, int offset, int length) {
    Mac mac = macs.get();
    mac.update(plain, offset, length);
    return java.util.HexFormat.of().formatHex(mac.doFinal()); // doFinal also resets it for the next id
  }

  /** Compresses and seals {@code plain}, bound to {@code associated}. */
  byte[] seal(byte[] plain, String associated) {
    return seal(plain, 0, plain.length, associated);
  }

  /** Compresses and seals {@code length} bytes of {@code plain} from {@code offset}, bound to {@code associated}. */
  byte[] seal(byte[] plain, int offset, int length, String associated) {
    Out out = sealToScratch(plain, offset, length, associated);
    return Arrays.copyOf(out.bytes(), out.length());
  }

  /** Sealed bytes: the first {@code length} of {@code bytes}. */
  record Out(byte[] bytes, int length) {}

  /**
   * Like {@link #seal(byte[], int, int, String)}, into a buffer of this thread's that its next
   * sealing overwrites: for a caller that copies the result at once (into a pack), saving an array per chunk.
   */
  Out sealToScratch(byte[] plain, int offset, int length, String associated) {
    int bound = (int) Zstd.compressBound(length);
    byte[] body = scratch(1 + Math.max(bound, length));
    ZstdCompressCtx zstd = COMPRESSORS.poll();
    if (zstd == null) {
      zstd = new ZstdCompressCtx().setLevel(ZSTD_LEVEL).setContentSize(true).setChecksum(false);
    }
    int packed;
    try {
      packed = zstd.compressByteArray(body, 1, bound, plain, offset, length);
    } finally {
      if (!COMPRESSORS.offer(zstd)) {
        zstd.close();
      }
    }
    int bodyLength;
    if (packed < length) {
      body[0] = 1; // zstd
      bodyLength = 1 + packed;
    } else {
      body[0] = 0; // stored: incompressible data is not made bigger
      System.arraycopy(plain, offset, body, 1, length);
      bodyLength = 1 + length;
    }
    byte[] out = SEALED.get();
    if (out.length < NONCE_BYTES + bodyLength + TAG_BITS / 8) {
      out = new byte[Math.max(NONCE_BYTES + bodyLength + TAG_BITS / 8, 2 * out.length)];
      SEALED.set(out);
    }
    return new Out(out, aead(dataKey, body, 0, bodyLength, associated, out));
  }

  private static final ThreadLocal<byte[]> SEALED = ThreadLocal.withInitial(() -> new byte[0]);

  /** Opens what {@link #seal} made; throws {@link CorruptException} when it was changed or belongs elsewhere. */
  byte[] open(byte[] sealed, String associated, String what) throws CorruptException {
    return open(sealed, 0, sealed.length, associated, what);
  }

  /** Opens the {@code length} sealed bytes of {@code buf} from {@code offset}; see {@link #open(byte[], String, String)}. */
  byte[] open(byte[] buf, int offset, int length, String associated, String what) throws CorruptException {
    return openTo(buf, offset, length, associated, what, byte[]::new).bytes();
  }

  /** Plain bytes: the first {@code length} of {@code bytes}. */
  record Plain(byte[] bytes, int length) {}

  /**
   * Like {@link #open(byte[], int, int, String, String)}, into an array {@code buffers} gives for
   * the plain size (at least that long): a restore reuses its arrays instead of making a GiB of garbage.
   */
  Plain openTo(byte[] buf, int offset, int length, String associated, String what, java.util.function.IntFunction<byte[]> buffers)
      throws CorruptException {
    if (length < NONCE_BYTES + TAG_BITS / 8) {
      throw new CorruptException(what + " is truncated (" + length + " bytes)");
    }
    byte[] body = scratch(length);
    int bodyLength = unseal(dataKey, buf, offset, length, associated, what, body);
    if (bodyLength == 0) {
      throw new CorruptException(what + " is empty inside");
    }
    if (body[0] == 0) {
      byte[] plain = buffers.apply(bodyLength - 1);
      System.arraycopy(body, 1, plain, 0, bodyLength - 1);
      return new Plain(plain, bodyLength - 1);
    }
    long size = Zstd.getFrameContentSize(body, 1, bodyLength - 1);
    if (body[0] != 1 || size < 0 || size > Integer.MAX_VALUE) {
      throw new CorruptException(what + " has an unknown or damaged compression header");
    }
    byte[] plain = buffers.apply((int) size);
    ZstdDecompressCtx zstd = DECOMPRESSORS.poll();
    if (zstd == null) {
      zstd = new ZstdDecompressCtx();
    }
    try {
      int n = zstd.decompressByteArray(plain, 0, (int) size, body, 1, bodyLength - 1);
      if (n != size) {
        throw new CorruptException(what + " decompresses to " + n + " bytes, its header says " + size);
      }
    } catch (com.github.luben.zstd.ZstdException e) {
      throw new CorruptException(what + " does not decompress: " + e.getMessage());
    } finally {
      if (!DECOMPRESSORS.offer(zstd)) {
        zstd.close();
      }
    }
    return new Plain(plain, (int) size);
  }

  static byte[] aead(SecretKeySpec key, byte[] plain, String associated) {
    return aead(key, plain, 0, plain.length, associated);
  }

  /** Seals {@code length} bytes of {@code plain} from {@code offset}: nonce, ciphertext, tag, in one new array. */
  static byte[] aead(SecretKeySpec key, byte[] plain, int offset, int length, String associated) {
    byte[] out = new byte[NONCE_BYTES + length + TAG_BITS / 8];
    aead(key, plain, offset, length, associated, out);
    return out;
  }

  /** Seals {@code length} bytes of {@code plain} from {@code offset} into the start of {@code out}; returns the bytes written. */
  private static int aead(SecretKeySpec key, byte[] plain, int offset, int length, String associated, byte[] out) {
    try {
      byte[] nonce = new byte[NONCE_BYTES];
      NONCES.get().nextBytes(nonce);
      System.arraycopy(nonce, 0, out, 0, NONCE_BYTES);
      Cipher c = CIPHERS.get();
      c.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, out, 0, NONCE_BYTES));
      c.updateAAD(associated.getBytes(java.nio.charset.StandardCharsets.UTF_8));
      int n = c.doFinal(plain, offset, length, out, NONCE_BYTES);
      if (n != length + TAG_BITS / 8) {
        throw new IllegalStateException("AES-GCM wrote " + n + " bytes for " + length);
      }
      return NONCE_BYTES + n;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-GCM failed: " + e, e);
    }
  }

  static byte[] unseal(SecretKeySpec key, byte[] sealed, String associated, String what) throws CorruptException {
    if (sealed.length < NONCE_BYTES + TAG_BITS / 8) {
      throw new CorruptException(what + " is truncated (" + sealed.length + " bytes)");
    }
    byte[] out = new byte[sealed.length - NONCE_BYTES - TAG_BITS / 8];
    unseal(key, sealed, 0, sealed.length, associated, what, out);
    return out;
  }

  /** Opens {@code length} sealed bytes of {@code buf} from {@code offset} into {@code out}; returns the plain length. */
  private static int unseal(SecretKeySpec key, byte[] buf, int offset, int length, String associated, String what, byte[] out)
      throws CorruptException {
    try {
      Cipher c = CIPHERS.get();
      c.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, buf, offset, NONCE_BYTES));
      c.updateAAD(associated.getBytes(java.nio.charset.StandardCharsets.UTF_8));
      return c.doFinal(buf, offset + NONCE_BYTES, length - NONCE_BYTES, out, 0);
    } catch (AEADBadTagException e) {
      throw new CorruptException(what + " does not authenticate: it was changed, damaged, or belongs to another repository");
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-GCM failed: " + e, e);
    }
  }
}
