package tandem.filesync;

import java.util.List;
import java.util.Objects;

/**
 * What the primary says one path should be. The same record is what a node's index remembers
 * about its own tree, and what travels in sync messages.
 *
 * @param path relative to the replicated root, '/'-separated, never empty, no leading or
 *     trailing '/', no "." or ".." segment (see {@link RelPath})
 * @param kind file, directory or symlink
 * @param size bytes for a file, 0 otherwise
 * @param mtimeNanos modification time, nanoseconds since the epoch (files and dirs; links 0)
 * @param mode the permission bits (07777), 0 for symlinks
 * @param linkTarget the symlink's target text for {@link Kind#SYMLINK}, "" otherwise
 * @param chunks a file's content-defined chunks in order, whose lengths add up to size; empty
 *     for dirs, links and empty files
 */
public record FileEntry(String path, Kind kind, long size, long mtimeNanos, int mode, String linkTarget,
    List<ChunkRef> chunks) {
  public FileEntry {
    Objects.requireNonNull(path, "path");
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(linkTarget, "linkTarget");
    chunks = List.copyOf(chunks);
  }

  /** True when the bytes (or link target) are the same, whatever the metadata. */
  public boolean sameContent(FileEntry other) {
    return other != null && kind == other.kind && size == other.size && linkTarget.equals(other.linkTarget)
        && chunks.equals(other.chunks);
  }
}
