package tandem.backup;

import org.bouncycastle.crypto.generators.Argon2BytesGenerator;
import org.bouncycastle.crypto.params.Argon2Parameters;

/**
 * Argon2id (version 1.3), the key files' memory-hard derivation. Where the JVM can call C (JDK 22+)
 * and the system has libargon2 (the reference implementation, Debian's {@code libargon2-1}), it
 * runs there: 64 MiB × 3 passes take about 0.13 s, against 0.25–0.45 s for BouncyCastle's Java
 * code in the fresh JVM of a backup command, where it is still interpreted and compiled. Both give
 * the same bytes ({@code Argon2Test}); BouncyCastle is used when the library is missing or fails.
 */
final class Argon2 {
  /** The C implementation; {@code NativeArgon2} (compiled for JDK 22+, src/main/java22). */
  interface Native {
    /** The derived bytes, or null when the library refused (then BouncyCastle runs). */
    byte[] argon2id(byte[] password, byte[] salt, int memoryKib, int iterations, int parallelism, int length);
  }

  private static final Native NATIVE = loadNative();

  private Argon2() {}

  static byte[] argon2id(byte[] password, byte[] salt, int memoryKib, int iterations, int parallelism, int length) {
    if (NATIVE != null) {
      byte[] out = NATIVE.argon2id(password, salt, memoryKib, iterations, parallelism, length);
      if (out != null) {
        return out;
      }
    }
    return inJava(password, salt, memoryKib, iterations, parallelism, length);
  }

  /** BouncyCastle's implementation. */
  static byte[] inJava(byte[] password, byte[] salt, int memoryKib, int iterations, int parallelism, int length) {
    Argon2Parameters p = new Argon2Parameters.Builder(Argon2Parameters.ARGON2_id).withVersion(Argon2Parameters.ARGON2_VERSION_13)
        .withSalt(salt).withMemoryAsKB(memoryKib).withIterations(iterations).withParallelism(parallelism).build();
    Argon2BytesGenerator gen = new Argon2BytesGenerator();
    gen.init(p);
    byte[] out = new byte[length];
    gen.generateBytes(password, out);
    return out;
  }

  /** The C implementation, when this JVM and system have it; null otherwise. */
  static Native nativeImplementation() {
    return NATIVE;
  }

  private static Native loadNative() {
    if (Runtime.version().feature() < 22 || Boolean.getBoolean("tandem.argon2.java")) {
      return null;
    }
    try {
      return (Native) Class.forName("tandem.backup.NativeArgon2").getMethod("load").invoke(null);
    } catch (ReflectiveOperationException | LinkageError | RuntimeException e) {
      return null; // built without src/main/java22, or no libargon2: BouncyCastle
    }
  }
}
