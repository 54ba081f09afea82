package tandem.filesync;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;

/**
 * The conflict rule: decides what the thing at a path is, compared with what this node last
 * received and with what arrives. Reads the disk (lstat, and the file's bytes only when sizes
 * match and the cheap checks could not decide) but never changes it.
 */
final class Judge {
  private final Baseline baseline;

  Judge(Baseline baseline) {
    this.baseline = baseline;
  }

  /** What {@code st} (the lstat of {@code p}, or null) is, given {@code incoming} (null for a delete). */
  Verdict judge(String rel, Path p, Lstat st, FileEntry incoming) throws IOException {
    if (st == null) {
      return Verdict.ABSENT;
    }
    // A directory has no content of its own; its mtime moves with every child, so its stat proves nothing.
    if (st.is(Kind.DIR) && incoming != null && incoming.kind() == Kind.DIR) {
      return Verdict.SAME;
    }
    // Replacing or deleting a directory is safe only when it is empty: its children had their own entries.
    if (st.is(Kind.DIR)) {
      return isEmptyDir(p) ? Verdict.CLEAN : Verdict.LOCAL_CHANGE;
    }
    Recorded r = baseline.recorded(rel);
    if (r != null && r.synced() && r.stat().equals(st.stat()) && r.entry().kind() == st.kind()) {
      // Unchanged since the primary gave it: the index can answer "same content?" without reading.
      return incoming != null && r.entry().sameContent(incoming) ? Verdict.SAME : Verdict.CLEAN;
    }
    // Changed here or unknown; if it happens to hold exactly the incoming content, nothing is lost.
    if (incoming != null && holds(p, st, incoming)) {
      return Verdict.SAME;
    }
    return Verdict.LOCAL_CHANGE;
  }

  private static boolean holds(Path p, Lstat st, FileEntry incoming) throws IOException {
    if (st.kind() != incoming.kind()) {
      return false;
    }
    return switch (incoming.kind()) {
      case FILE -> st.stat().size() == incoming.size() && chunksMatch(p, incoming);
      case SYMLINK -> Files.readSymbolicLink(p).equals(p.getFileSystem().getPath(incoming.linkTarget()));
      case DIR -> true;
    };
  }

  /** Hashes the local file along the incoming chunk boundaries, streaming, stopping at the first difference. */
  static boolean chunksMatch(Path p, FileEntry incoming) throws IOException {
    ByteBuffer buf = ByteBuffer.allocate(64 * 1024);
    try (FileChannel in = FileChannel.open(p, StandardOpenOption.READ)) {
      for (ChunkRef c : incoming.chunks()) {
        MessageDigest sha = Hash.sha256();
        long left = c.length();
        while (left > 0) {
          buf.clear().limit((int) Math.min(buf.capacity(), left));
          int n = in.read(buf);
          if (n < 0) {
            return false; // shrank while we read: not the same
          }
          sha.update(buf.array(), 0, n);
          left -= n;
        }
        if (!Hash.fromBytes(sha.digest()).equals(c.hash())) {
          return false;
        }
      }
      return in.read(buf.clear()) < 0;
    }
  }

  static boolean isEmptyDir(Path dir) throws IOException {
    try (var children = Files.newDirectoryStream(dir)) {
      return !children.iterator().hasNext();
    }
  }
}
