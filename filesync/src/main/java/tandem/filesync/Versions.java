package tandem.filesync;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.LocalDateTime;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The upkeep of what the applier leaves on disk: versions past their time under
 * {@code .tandem-versions/}, and temp files left by a kill -9. Walks never follow links.
 */
final class Versions {
  private final Path root;
  private final ApplierOptions options;

  Versions(Path root, ApplierOptions options) {
    this.root = root;
    this.options = options;
  }

  /**
   * Deletes every version whose name says it is older than keepVersions (the name, not the mtime,
   * because a version keeps the mtime of the file it was), then the directories left empty.
   */
  int expire() throws IOException {
    Path dir = root.resolve(RelPath.VERSIONS_DIR);
    Lstat st = Lstat.of(dir);
    if (options.keepVersions().isEmpty() || st == null || !st.is(Kind.DIR)) {
      return 0;
    }
    LocalDateTime cutoff = LocalDateTime.now(options.clock()).minus(options.keepVersions().get());
    return expireIn(dir, cutoff);
  }

  private int expireIn(Path dir, LocalDateTime cutoff) throws IOException {
    int removed = 0;
    try (DirectoryStream<Path> children = Files.newDirectoryStream(dir)) {
      for (Path child : children) {
        Optional<LocalDateTime> made = SideNames.versionTime(child.getFileName().toString());
        Lstat st = Lstat.of(child);
        if (made.isPresent() && made.get().isBefore(cutoff)) {
          deleteTree(child);
          removed++;
        } else if (made.isEmpty() && st != null && st.is(Kind.DIR)) {
          removed += expireIn(child, cutoff);
          if (Judge.isEmptyDir(child)) {
            Files.delete(child);
          }
        }
      }
    }
    return removed;
  }

  /** Deletes every {@code .tandem-tmp-*} under {@code root}; returns how many. */
  static int cleanTemps(Path root) throws IOException {
    AtomicInteger removed = new AtomicInteger();
    Files.walkFileTree(root, new SimpleFileVisitor<>() {
      @Override
      public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
        if (file.getFileName().toString().startsWith(RelPath.TEMP_PREFIX) && Files.deleteIfExists(file)) {
          removed.incrementAndGet();
        }
        return FileVisitResult.CONTINUE;
      }

      @Override
      public FileVisitResult visitFileFailed(Path file, IOException e) throws IOException {
        if (e instanceof NoSuchFileException) {
          return FileVisitResult.CONTINUE; // removed by someone while we walked
        }
        throw e;
      }
    });
    return removed.get();
  }

  /** rm -r without following links: a link inside a versioned directory is removed, not its target. */
  static void deleteTree(Path p) throws IOException {
    Files.walkFileTree(p, new SimpleFileVisitor<>() {
      @Override
      public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
        Files.delete(file);
        return FileVisitResult.CONTINUE;
      }

      @Override
      public FileVisitResult postVisitDirectory(Path dir, IOException e) throws IOException {
        if (e != null) {
          throw e;
        }
        Files.delete(dir);
        return FileVisitResult.CONTINUE;
      }
    });
  }
}
