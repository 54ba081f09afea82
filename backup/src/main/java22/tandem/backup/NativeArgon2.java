package tandem.backup;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * {@code argon2id_hash_raw} of the system's libargon2 through the foreign function API (final in
 * JDK 22; this file is compiled only by a JDK 22+ and loaded only by one, see {@link Argon2}).
 */
final class NativeArgon2 implements Argon2.Native {
  private static final String[] NAMES = {"libargon2.so.1", "libargon2.so"};

  private final MethodHandle hashRaw;

  private NativeArgon2(MethodHandle hashRaw) {
    this.hashRaw = hashRaw;
  }

  /** The implementation, or null when no libargon2 can be opened. */
  public static Argon2.Native load() {
    for (String name : NAMES) {
      try {
        SymbolLookup lib = SymbolLookup.libraryLookup(name, Arena.global());
        MemorySegment fn = lib.find("argon2id_hash_raw").orElse(null);
        if (fn != null) {
          // int argon2id_hash_raw(uint32 t_cost, uint32 m_cost, uint32 parallelism, const void *pwd, size_t pwdlen,
          //                       const void *salt, size_t saltlen, void *hash, size_t hashlen)
          return new NativeArgon2(Linker.nativeLinker().downcallHandle(fn, FunctionDescriptor.of(ValueLayout.JAVA_INT,
              ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG,
              ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG)));
        }
      } catch (IllegalArgumentException | IllegalCallerException notThere) {
        // not installed under this name, or native access denied
      }
    }
    return null;
  }

  @Override
  public byte[] argon2id(byte[] password, byte[] salt, int memoryKib, int iterations, int parallelism, int length) {
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment pwd = arena.allocate(Math.max(1, password.length));
      MemorySegment.copy(password, 0, pwd, ValueLayout.JAVA_BYTE, 0, password.length);
      MemorySegment s = arena.allocate(salt.length);
      MemorySegment.copy(salt, 0, s, ValueLayout.JAVA_BYTE, 0, salt.length);
      MemorySegment out = arena.allocate(length);
      int rc;
      try {
        rc = (int) hashRaw.invokeExact(iterations, memoryKib, parallelism, pwd, (long) password.length, s, (long) salt.length,
            out, (long) length);
      } finally {
        pwd.fill((byte) 0); // no copy of the password outlives the call
      }
      return rc == 0 ? out.toArray(ValueLayout.JAVA_BYTE) : null; // ARGON2_OK; anything else: BouncyCastle
    } catch (VirtualMachineError e) {
      throw e;
    } catch (Throwable e) {
      return null; // BouncyCastle then
    }
  }
}
