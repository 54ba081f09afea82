package tandem.backup;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/** Files written so that a kill -9 or a power cut leaves either nothing or the whole file. */
final class Durable {
  private Durable() {}

  static final int WRITE_SLICE = 256 << 10;

  /** Writes {@code data} to a temporary name beside {@code target}, fsyncs, renames, fsyncs the directory. */
  static void write(Path target, byte[] data) throws IOException {
    write(target, data, data.length);
  }

  /** Writes the first {@code length} bytes of {@code data} as {@link #write(Path, byte[])} does. */
  static void write(Path target, byte[] data, int length) throws IOException {
    Path tmp = temporary(target, data, length);
    Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
    fsyncDir(target.getParent());
  }

  /**
   * Writes {@code data} to {@code target} unless it exists, atomically between processes (and over NFS): the bytes go
   * to a temporary name, fsynced, which is then hard-linked as {@code target}; link(2) fails when the name exists, where
   * a rename would replace it. False when {@code target} existed. On a file system without hard links, a check then a
   * rename, which two processes at the same instant can both pass.
   */
  static boolean create(Path target, byte[] data) throws IOException {
    if (Files.exists(target, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
      return false;
    }
    Path tmp = temporary(target, data, data.length);
    try {
      Files.createLink(target, tmp);
    } catch (java.nio.file.FileAlreadyExistsException taken) {
      return false;
    } catch (UnsupportedOperationException | java.nio.file.FileSystemException noLinks) {
      if (Files.exists(target, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
        return false;
      }
      Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
    } finally {
      Files.deleteIfExists(tmp);
      fsyncDir(target.getParent());
    }
    return true;
  }

  /** {@code data} in a new fsynced file beside {@code target}, under a temporary name. */
  private static Path temporary(Path target, byte[] data, int length) throws IOException {
    Files.createDirectories(target.getParent());
    Path tmp = target.resolveSibling(".tmp-" + java.util.HexFormat.of().formatHex(Crypto.random(8)));
    try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
      // In slices: the JDK copies a heap buffer into a direct one of the same size, cached per thread,
      // so one 16 MiB write would fault in 16 MiB of fresh memory on every pack writer thread.
      for (int at = 0; at < length; ) {
        ByteBuffer b = ByteBuffer.wrap(data, at, Math.min(WRITE_SLICE, length - at));
        while (b.hasRemaining()) {
          ch.write(b);
        }
        at = b.position();
      }
      ch.force(true);
    } catch (IOException e) {
      Files.deleteIfExists(tmp);
      throw e;
    }
    return tmp;
  }

  static void fsyncDir(Path dir) throws IOException {
    try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
      ch.force(true);
    }
  }

  static String hex(byte[] b) {
    return java.util.HexFormat.of().formatHex(b);
  }
}
