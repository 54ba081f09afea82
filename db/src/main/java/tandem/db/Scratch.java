package tandem.db;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Collections;

/** What the throw-away servers of restore tests share: a temp dir the server's user can enter, a port, removal. */
public final class Scratch {
  private Scratch() {}

  /** A new directory under the temp dir, mode 755 (the server's own user must reach its data dir inside). */
  public static Path directory(String prefix) throws IOException {
    Path dir = Files.createTempDirectory(prefix);
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
    return dir;
  }

  /** A port free on 127.0.0.1 now. */
  public static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  /** Removes {@code dir} and everything in it; a failure leaves a temp dir behind, nothing worse. */
  public static void delete(Path dir) {
    try (var s = Files.walk(dir)) {
      for (Path p : s.sorted(Collections.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    } catch (IOException e) {
      // a temp dir left behind
    }
  }

  /** What a restored database holds, read with real queries: its user tables and the exact rows of all of them. */
  public record Contents(int tables, long rows) {}
}
