package tandem.filesync;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Optional;
import java.util.Set;
import tandem.filesync.HostilePathException.Problem;

/**
 * The replicated root, opened for writing without ever going through a symbolic link.
 *
 * <p>Before anything is written at {@code a/b/c}, each existing parent ({@code a}, {@code a/b}) is
 * lstat'ed without following links and must be a real directory; missing ones are created (and
 * their parent fsynced, so the new file's path survives a crash). The last component itself is
 * never followed either: the applier renames over it, which replaces a link instead of writing
 * through it.
 *
 * <p><b>The race that remains.</b> Between the check of a parent and the rename into it, a local
 * user who can write inside the root could swap a checked directory for a link, and the rename
 * would land where the link points. Closing this needs openat/renameat on directory descriptors,
 * which the JDK does not offer. The threat this class answers is a peer (every path it sends is
 * checked here); a local user with write access to the root can change the data anyway.
 */
public final class SafeTree {
  private final Path root;
  private final int dirMode;
  private final Optional<Owner> owner;

  /**
   * @param root the replicated root; resolved once to its real path (the operator chose it, so a
   *     link there is followed once, at start, and never again)
   * @param dirMode the mode of directories this class creates, e.g. 0755
   */
  public SafeTree(Path root, int dirMode, Optional<Owner> owner) throws IOException {
    Path real = root.toRealPath();
    if (!Files.isDirectory(real, LinkOption.NOFOLLOW_LINKS)) {
      throw new IOException("replicated root " + root + " is not a directory; create it or fix the path");
    }
    this.root = real;
    this.dirMode = dirMode;
    this.owner = owner;
  }

  public Path root() {
    return root;
  }

  /**
   * Checks {@code rel} with {@link RelPath#check}, makes sure its parents are real directories
   * (creating missing ones) and returns the absolute path to write at.
   */
  public Path prepare(String rel) throws HostilePathException, IOException {
    return prepareChecked(RelPath.check(rel));
  }

  /** As {@link #prepare}, for a path tandem made itself (a version or conflict name). */
  Path prepareChecked(String rel) throws HostilePathException, IOException {
    return prepareChecked(rel, null);
  }

  /**
   * As {@link #prepare}, for the many files of one batch: parents already in {@code checked} (found
   * to be real directories earlier in the same batch, moments ago) are not lstat'ed again, and those
   * checked now are added. A set lives for one batch only, so it widens the race described above
   * by no more than the batch's own write time, and a directory replaced later is checked again.
   */
  Path prepare(String rel, Set<Path> checked) throws HostilePathException, IOException {
    return prepareChecked(RelPath.check(rel), checked);
  }

  private Path prepareChecked(String rel, Set<Path> checked) throws HostilePathException, IOException {
    int end = rel.lastIndexOf('/');
    if (end < 0) {
      return root.resolve(rel);
    }
    Path parent = root.resolve(rel.substring(0, end));
    if (checked != null && checked.contains(parent)) {
      return parent.resolve(rel.substring(end + 1));
    }
    String[] segments = rel.split("/");
    Path dir = root;
    for (int i = 0; i < segments.length - 1; i++) {
      dir = dir.resolve(segments[i]);
      if (checked == null || !checked.contains(dir)) {
        dir = ensureDirectory(rel, dir);
        if (checked != null) {
          checked.add(dir);
        }
      }
    }
    return dir.resolve(segments[segments.length - 1]);
  }

  /**
   * Where {@code rel} (already checked) is, for a delete: empty when a parent is missing, a link or
   * not a directory, since then nothing at {@code rel} belongs to the tree. Creates nothing.
   */
  Optional<Path> locate(String rel) throws IOException {
    String[] segments = rel.split("/");
    Path dir = root;
    for (int i = 0; i < segments.length - 1; i++) {
      dir = dir.resolve(segments[i]);
      Lstat st = Lstat.of(dir);
      if (st == null || !st.is(Kind.DIR)) {
        return Optional.empty();
      }
    }
    return Optional.of(dir.resolve(segments[segments.length - 1]));
  }

  /** The absolute path of a checked relative path, for reading or lstat only. */
  Path resolve(String rel) {
    return root.resolve(rel);
  }

  /** The path of {@code p} relative to the root, '/'-separated. */
  String relativize(Path p) {
    return root.relativize(p).toString();
  }

  /** fsync(2) of a directory, which makes the names created or renamed in it durable. */
  /**
   * Makes everything written to the filesystem holding {@code anyPath} durable: syncfs(2), through
   * {@code sync -f} (coreutils) since the JDK has no call for it. One journal commit for a whole
   * batch of files instead of one fsync each; writeback errors are reported (Linux 5.8+).
   */
  static void syncFilesystem(Path anyPath) throws IOException {
    Process p = new ProcessBuilder("sync", "-f", anyPath.toString()).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8).trim();
    try {
      if (p.waitFor() != 0) {
        throw new IOException("syncfs of the filesystem holding " + anyPath + " failed: " + out);
      }
    } catch (InterruptedException e) {
      p.destroy();
      Thread.currentThread().interrupt();
      throw new java.io.InterruptedIOException("interrupted while waiting for syncfs of " + anyPath);
    }
  }

  static void fsyncDirectory(Path dir) throws IOException {
    try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
      ch.force(true);
    }
  }

  private Path ensureDirectory(String rel, Path dir) throws HostilePathException, IOException {
    Lstat st = Lstat.of(dir);
    if (st == null) {
      try {
        create(dir);
        return dir;
      } catch (FileAlreadyExistsException raced) {
        st = Lstat.of(dir); // someone made it between our lstat and mkdir: check what it is
      }
    }
    if (st == null || !st.is(Kind.DIR)) {
      String what = st == null ? "gone again" : st.describe();
      if (st != null && st.is(Kind.SYMLINK)) {
        what += " to " + RelPath.quote(Files.readSymbolicLink(dir).toString());
      }
      throw new HostilePathException(Problem.PARENT_NOT_DIRECTORY, rel, RelPath.quote(relativize(dir)) + " is " + what);
    }
    return dir;
  }

  private void create(Path dir) throws IOException {
    Files.createDirectory(dir);
    Files.setAttribute(dir, "unix:mode", dirMode, LinkOption.NOFOLLOW_LINKS); // umask must not decide it
    if (owner.isPresent()) {
      owner.get().applyTo(dir);
    }
    fsyncDirectory(dir.getParent());
  }
}
