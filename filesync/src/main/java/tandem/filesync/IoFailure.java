package tandem.filesync;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.Path;

/** Turns a disk error during an apply into a message that says which path, what failed and what to do. */
final class IoFailure {
  private IoFailure() {}

  static IOException of(String rel, Path root, String step, IOException e) {
    return new IOException("cannot apply " + RelPath.quote(rel) + " under " + root + ": " + step + " failed ("
        + e.getMessage() + "); " + advice(root, e) + ". The old content at that path was kept.", e);
  }

  static String advice(Path root, IOException e) {
    String reason = e instanceof FileSystemException f && f.getReason() != null ? f.getReason() : String.valueOf(e.getMessage());
    if (reason.contains("No space left on device")) {
      return "free space on the filesystem holding " + root + " (see df -h " + root + "), then sync again";
    }
    if (reason.contains("Disk quota exceeded")) {
      return "raise the disk quota of the user tandem runs as, or free space in " + root + ", then sync again";
    }
    if (reason.contains("Read-only file system")) {
      return "the filesystem holding " + root + " is read-only: remount it read-write (and check it for errors)";
    }
    if (e instanceof AccessDeniedException || reason.contains("Permission denied")) {
      return "let the user tandem runs as write there (or fix the owner of " + root + ")";
    }
    return "fix the cause above and sync again";
  }
}
