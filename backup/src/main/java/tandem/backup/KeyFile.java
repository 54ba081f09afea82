package tandem.backup;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import javax.crypto.spec.SecretKeySpec;

/**
 * A key file ({@code keys/<name>}): the repository's data and id keys, sealed with a key derived
 * from the password by Argon2id (memory-hard: 64 MiB, 3 passes, 4 lanes by default), as JSON.
 */
record KeyFile(
    @JsonProperty("version") int version,
    @JsonProperty("kdf") String kdf,
    @JsonProperty("memory_kib") int memoryKib,
    @JsonProperty("iterations") int iterations,
    @JsonProperty("parallelism") int parallelism,
    @JsonProperty("salt") String salt,
    @JsonProperty("keys") String keys) {
  static final int DEFAULT_MEMORY_KIB = 64 * 1024;
  static final int DEFAULT_ITERATIONS = 3;
  /**
   * Lanes of new key files: RFC 9106's second recommended option is 64 MiB, 3 passes and 4 lanes. The native
   * Argon2 computes lanes on threads of their own: 0.13 s on two cores against 0.18 s for one lane, which every
   * command that opens a repository waits for (a first backup before it reads a file). Key files record their
   * lanes; those made with one open as before.
   */
  static final int DEFAULT_PARALLELISM = 4;

  /** New keys for a new repository, sealed under {@code password}. */
  static KeyFile create(char[] password, byte[] dataKey, byte[] idKey, int memoryKib, int iterations) {
    byte[] salt = Crypto.random(16);
    byte[] both = new byte[2 * Crypto.KEY_BYTES];
    System.arraycopy(dataKey, 0, both, 0, Crypto.KEY_BYTES);
    System.arraycopy(idKey, 0, both, Crypto.KEY_BYTES, Crypto.KEY_BYTES);
    byte[] kek = derive(password, salt, memoryKib, iterations, DEFAULT_PARALLELISM);
    byte[] sealed = Crypto.aead(new SecretKeySpec(kek, "AES"), both, "keys");
    return new KeyFile(1, "argon2id", memoryKib, iterations, DEFAULT_PARALLELISM, Base64.getEncoder().encodeToString(salt),
        Base64.getEncoder().encodeToString(sealed));
  }

  /**
   * Keys derived in this process, by key file and password: a scheduler or a command that opens the
   * same repository again does not pay the memory-hard derivation each time.
   */
  private static final java.util.Map<String, byte[]> DERIVED = java.util.Collections.synchronizedMap(
      new java.util.LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(java.util.Map.Entry<String, byte[]> eldest) {
          return size() > 16;
        }
      });

  /** The keys, or {@link WrongPasswordException}. */
  Crypto open(char[] password) throws WrongPasswordException, CorruptException {
    if (version != 1 || !"argon2id".equals(kdf)) {
      throw new CorruptException("key file version " + version + " / kdf " + kdf + " is not known to this tandem");
    }
    String cacheKey = salt + "|" + memoryKib + "|" + iterations + "|" + parallelism + "|" + fingerprint(password);
    byte[] kek = DERIVED.get(cacheKey);
    if (kek == null) {
      kek = derive(password, Base64.getDecoder().decode(salt), memoryKib, iterations, parallelism);
    }
    byte[] both;
    try {
      both = Crypto.unseal(new SecretKeySpec(kek, "AES"), Base64.getDecoder().decode(keys), "keys", "the key file");
    } catch (CorruptException e) {
      throw new WrongPasswordException();
    }
    DERIVED.put(cacheKey, kek);
    return new Crypto(java.util.Arrays.copyOfRange(both, 0, Crypto.KEY_BYTES),
        java.util.Arrays.copyOfRange(both, Crypto.KEY_BYTES, 2 * Crypto.KEY_BYTES));
  }

  /** A SHA-256 of the password, so the cache holds no password. */
  private static String fingerprint(char[] password) {
    try {
      return Base64.getEncoder().encodeToString(java.security.MessageDigest.getInstance("SHA-256")
          .digest(new String(password).getBytes(StandardCharsets.UTF_8)));
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static byte[] derive(char[] password, byte[] salt, int memoryKib, int iterations, int parallelism) {
    byte[] pwd = new String(password).getBytes(StandardCharsets.UTF_8);
    try {
      return Argon2.argon2id(pwd, salt, memoryKib, iterations, parallelism, Crypto.KEY_BYTES);
    } finally {
      java.util.Arrays.fill(pwd, (byte) 0);
    }
  }
}
