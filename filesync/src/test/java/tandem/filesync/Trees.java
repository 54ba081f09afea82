package tandem.filesync;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HexFormat;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/** Test helper: a tree as comparable text, path -> kind, size, mode, mtime (files), content hash or link target. */
final class Trees {
  private Trees() {}

  /** Everything under root except tandem's own names and conflict copies. */
  static Map<String, String> snapshot(Path root) {
    Map<String, String> out = new TreeMap<>();
    try (Stream<Path> all = Files.walk(root)) {
      all.filter(p -> !p.equals(root)).forEach(p -> {
        String rel = root.relativize(p).toString();
        if (rel.startsWith(".tandem-versions") || rel.contains(".sync-conflict-") || p.getFileName().toString()
            .startsWith(".tandem-tmp-")) {
          return;
        }
        out.put(rel, describe(p));
      });
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out;
  }

  static String describe(Path p) {
    try {
      if (Files.isSymbolicLink(p)) {
        return "link->" + Files.readSymbolicLink(p);
      }
      String mode = PosixFilePermissions.toString(Files.getPosixFilePermissions(p, LinkOption.NOFOLLOW_LINKS));
      if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
        return "dir " + mode;
      }
      byte[] data = Files.readAllBytes(p);
      return "file " + mode + " " + data.length + " " + Files.getLastModifiedTime(p, LinkOption.NOFOLLOW_LINKS).toMillis()
          + " " + HexFormat.of().formatHex(Hash.of(data, 0, data.length).toBytes()).substring(0, 16);
    } catch (IOException e) {
      return "gone " + e.getClass().getSimpleName();
    }
  }
}
