package tandem.backup;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;

class Argon2Test {
  /** Computed with libargon2 1.3 (Debian libargon2-1) from C: argon2id_hash_raw(t, m, p, pwd, salt, 32 bytes). */
  private static final String KAT_DEFAULTS = "0da38a14b42c0a97db18714d0011c5c63cec962e19202b7cdfe8ead145435e54";
  private static final String KAT_TWO_LANES = "a0694b2e1e5d540293ece791ce510a9343d4b75920c5f00642ef49a7eea9e75a";

  @Test
  void bouncyCastle_matchesTheReferenceImplementation() {
    assertThat(hex(Argon2.inJava(bytes("password"), bytes("saltsaltsaltsalt"), 65536, 3, 1, 32))).isEqualTo(KAT_DEFAULTS);
    assertThat(hex(Argon2.inJava(bytes("pässwörd"), bytes("0123456789abcdef"), 256, 2, 2, 32))).isEqualTo(KAT_TWO_LANES);
  }

  @Test
  void theSystemLibrary_isUsedWhereTheJvmAndTheSystemHaveIt_andGivesTheSameBytes() {
    boolean libraryInstalled = List.of("/usr/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu", "/usr/lib64", "/usr/lib", "/lib64")
        .stream().anyMatch(d -> Files.exists(Path.of(d, "libargon2.so.1")));
    Argon2.Native c = Argon2.nativeImplementation();
    assertThat(c != null)
        .as("the C implementation is loaded exactly when the JVM is 22+ (it is %s) and libargon2.so.1 is installed (%s)",
            Runtime.version().feature(), libraryInstalled)
        .isEqualTo(Runtime.version().feature() >= 22 && libraryInstalled);
    if (c == null) {
      return; // the other tests cover what runs then (BouncyCastle)
    }
    assertThat(hex(c.argon2id(bytes("password"), bytes("saltsaltsaltsalt"), 65536, 3, 1, 32))).isEqualTo(KAT_DEFAULTS);
    assertThat(hex(c.argon2id(bytes("pässwörd"), bytes("0123456789abcdef"), 256, 2, 2, 32))).isEqualTo(KAT_TWO_LANES);
    byte[] salt = Crypto.random(16);
    for (String pw : List.of("", "x", "correct horse battery staple", "🔑 ключ")) {
      assertThat(hex(c.argon2id(bytes(pw), salt, 64, 1, 1, 32))).as(pw).isEqualTo(hex(Argon2.inJava(bytes(pw), salt, 64, 1, 1, 32)));
    }
  }

  @Test
  void parametersTheLibraryRefuses_fallBackToBouncyCastle() {
    // libargon2 wants at least 8 KiB per lane (ARGON2_MIN_MEMORY = 2 * ARGON2_SYNC_POINTS blocks): 8 KiB on 4 lanes
    // is refused there; BouncyCastle raises the memory to the minimum itself, and the derivation still succeeds.
    Argon2.Native c = Argon2.nativeImplementation();
    if (c != null) {
      assertThat(c.argon2id(bytes("pw"), bytes("saltsaltsaltsalt"), 8, 1, 4, 32)).as("refused by libargon2").isNull();
    }
    assertThat(Argon2.argon2id(bytes("pw"), bytes("saltsaltsaltsalt"), 8, 1, 4, 32))
        .isEqualTo(Argon2.inJava(bytes("pw"), bytes("saltsaltsaltsalt"), 8, 1, 4, 32));
  }

  @Test
  void newKeyFiles_haveFourLanes_andOneLaneKeyFilesStillOpen() throws Exception {
    char[] pw = "correct horse".toCharArray();
    byte[] dataKey = Crypto.random(Crypto.KEY_BYTES);
    byte[] idKey = Crypto.random(Crypto.KEY_BYTES);
    byte[] sample = bytes("a chunk");
    String expected = new Crypto(dataKey, idKey).id(sample, 0, sample.length);

    KeyFile fresh = KeyFile.create(pw, dataKey, idKey, 1024, 1);
    assertThat(fresh.parallelism()).isEqualTo(4);
    assertThat(fresh.open(pw).id(sample, 0, sample.length)).isEqualTo(expected);
    if (Argon2.nativeImplementation() != null) {
      assertThat(hex(Argon2.nativeImplementation().argon2id(bytes("pw"), bytes("saltsaltsaltsalt"), 65536, 3, 4, 32)))
          .as("the new default, in C and in Java").isEqualTo(hex(Argon2.inJava(bytes("pw"), bytes("saltsaltsaltsalt"), 65536, 3, 4, 32)));
    }

    // A key file as tandem wrote them before (one lane), made here from the format document.
    byte[] salt = Crypto.random(16);
    byte[] both = new byte[2 * Crypto.KEY_BYTES];
    System.arraycopy(dataKey, 0, both, 0, Crypto.KEY_BYTES);
    System.arraycopy(idKey, 0, both, Crypto.KEY_BYTES, Crypto.KEY_BYTES);
    byte[] kek = Argon2.inJava(new String(pw).getBytes(StandardCharsets.UTF_8), salt, 1024, 1, 1, 32);
    KeyFile oneLane = new KeyFile(1, "argon2id", 1024, 1, 1, java.util.Base64.getEncoder().encodeToString(salt),
        java.util.Base64.getEncoder().encodeToString(Crypto.aead(new javax.crypto.spec.SecretKeySpec(kek, "AES"), both, "keys")));
    assertThat(oneLane.open(pw).id(sample, 0, sample.length)).isEqualTo(expected);
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static String hex(byte[] b) {
    return HexFormat.of().formatHex(b);
  }
}
