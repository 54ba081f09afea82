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

  /** Writes {@code data} to a temporary name beside {@code target}, fsyncs, renames, fsyncs the directory. */
  static void write(Path target, byte[] data) throws IOException {
    write(target, data, data.length);
  }

  /** Writes the first {@code length} bytes of {@code data} as {@link #write(Path, byte[])} does. */
  static void write(Path target, byte[] data, int length) throws IOException {
    Files.createDirectories(target.getParent());
    Path tmp = target.resolveSibling(".tmp-" + java.util.HexFormat.of().formatHex(Crypto.random(8)));
    try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
      ByteBuffer b = ByteBuffer.wrap(data, 0, length);
      while (b.hasRemaining()) {
        ch.write(b);
      }
      ch.force(true);
    } catch (IOException e) {
      Files.deleteIfExists(tmp);
      throw e;
    }
    Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
    fsyncDir(target.getParent());
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
