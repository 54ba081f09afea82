package tandem.filesync;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * Assembles a file's new content under a temporary name beside its target, chunk by chunk, so the
 * target is never half-written and a 1 GiB file is never in memory.
 *
 * <p>Received bytes are written; a {@link ChunkData.Range} of a local file is copied with
 * {@link FileChannel#transferTo}, which the JDK does with copy_file_range(2) on Linux (no copy
 * through Java, and a reflink on filesystems that share extents).
 */
final class TempWriter {
  private static final Set<StandardOpenOption> CREATE_NEW_WRITE = Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
  private static final FileAttribute<?> PRIVATE = PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"));
  /** This process's umask, or -1 when it cannot be read (then every temp file is created 0600 and chmod'ed). */
  static final int UMASK = readUmask();

  private final Optional<Owner> owner;

  TempWriter(Optional<Owner> owner) {
    this.owner = owner;
  }

  /**
   * Writes {@code entry}'s content to a new temp file beside {@code target}, with its mode, mtime
   * and owner, optionally fsynced. On any failure the temp file is removed before the exception leaves.
   */
  Path write(Path target, FileEntry entry, ChunkSource source, boolean fsync) throws IOException, InterruptedException {
    Path tmp = target.resolveSibling(SideNames.temp(target.getFileName().toString()));
    int mode = fileMode(entry.mode());
    boolean created = createdWith(mode);
    boolean done = false;
    // Created with its own permission bits when the umask lets them all through (no chmod needed
    // then), else 0600 until chmod gives it its mode: either way nobody reads the new content with
    // rights the file will not have.
    try (FileChannel out = FileChannel.open(tmp, CREATE_NEW_WRITE, created ? permissions(mode) : PRIVATE)) {
      Writeback writeback = new Writeback(out);
      long written = copyChunks(entry, source, out, writeback);
      writeback.finish();
      if (written != entry.size()) {
        throw new IOException("assembled " + written + " bytes but the entry says " + entry.size()
            + " (its chunks do not add up: a bug on the sending side)");
      }
      // Access time: now, as a new file has; given, so the JDK does not stat the file to keep it.
      finish(tmp, mode, entry.mtimeNanos(), !created, FileTime.from(Instant.now()));
      if (fsync) {
        out.force(true);
      }
      done = true;
      return tmp;
    } finally {
      if (!done) {
        Files.deleteIfExists(tmp);
      }
    }
  }

  /** Owner, then mode (chown clears setuid bits, so it goes first), then mtime (any write moves it). */
  void finish(Path p, int mode, long mtimeNanos) throws IOException {
    finish(p, fileMode(mode), mtimeNanos, true, null);
  }

  /** {@code atime} null: left as it is. */
  private void finish(Path p, int mode, long mtimeNanos, boolean chmod, FileTime atime) throws IOException {
    if (owner.isPresent()) {
      owner.get().applyTo(p);
    }
    if (chmod) {
      Files.setAttribute(p, "unix:mode", mode, LinkOption.NOFOLLOW_LINKS);
    }
    Files.getFileAttributeView(p, BasicFileAttributeView.class, LinkOption.NOFOLLOW_LINKS)
        .setTimes(FileTime.from(mtimeNanos, TimeUnit.NANOSECONDS), atime, null);
  }

  /**
   * Whether a file created with {@code mode} gets exactly that mode: only rwx bits (the create call
   * takes no others) and none the umask would clear.
   */
  static boolean createdWith(int mode) {
    return UMASK >= 0 && (mode & ~0777) == 0 && (mode & UMASK) == 0;
  }

  private static FileAttribute<?> permissions(int mode) {
    Set<PosixFilePermission> set = java.util.EnumSet.noneOf(PosixFilePermission.class);
    PosixFilePermission[] all = PosixFilePermission.values(); // OWNER_READ (0400) ... OTHERS_EXECUTE (0001)
    for (int i = 0; i < all.length; i++) {
      if ((mode & (0400 >> i)) != 0) {
        set.add(all[i]);
      }
    }
    return PosixFilePermissions.asFileAttribute(set);
  }

  /** The umask from /proc/self/status (Linux 4.7+); the JDK has no call for it. */
  private static int readUmask() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
        if (line.startsWith("Umask:")) {
          return Integer.parseInt(line.substring(6).trim(), 8);
        }
      }
    } catch (IOException | RuntimeException unknown) {
      // Not Linux, or an old kernel: every temp file gets an explicit chmod.
    }
    return -1;
  }

  /**
   * The mode a replicated file gets: the entry's, less setuid and setgid. A peer must not be able to
   * plant a program that runs as its owner on every replica; sticky and rwx bits are kept.
   */
  static int fileMode(int mode) {
    return mode & 01777;
  }

  static void fsync(Path file) throws IOException {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
      ch.force(true);
    }
  }

  /**
   * Writes the chunks in order. Local ranges that continue each other in the same file (an
   * unchanged stretch of a big file) are copied as one range, so a 1 GiB file with a small change
   * costs a few copy_file_range calls, not one per chunk.
   */
  private static long copyChunks(FileEntry entry, ChunkSource source, FileChannel out, Writeback writeback)
      throws IOException, InterruptedException {
    long written = 0;
    source.starting(entry);
    ChunkData.Range run = null;
    for (ChunkRef c : entry.chunks()) {
      ChunkData d = source.read(c);
      if (d.length() != c.length()) {
        throw new IOException("the chunk source gave " + d.length() + " bytes for chunk " + c.hash() + " of " + c.length());
      }
      if (d instanceof ChunkData.Range r && run != null && r.file().equals(run.file())
          && r.offset() == run.offset() + run.length() && (long) run.length() + r.length() <= Integer.MAX_VALUE) {
        run = new ChunkData.Range(run.file(), run.offset(), run.length() + r.length());
      } else {
        if (run != null) {
          copyRange(run, out, writeback);
          run = null;
        }
        switch (d) {
          case ChunkData.Bytes b -> writeFully(out, ByteBuffer.wrap(b.data(), b.offset(), b.length()));
          case ChunkData.Buffer b -> writeFully(out, b.data().duplicate());
          case ChunkData.Range r -> run = r;
        }
        if (!(d instanceof ChunkData.Range)) {
          writeback.wrote(d.length());
        }
      }
      written += d.length();
      if (Thread.interrupted()) {
        throw new InterruptedException("interrupted while assembling " + entry.path());
      }
    }
    if (run != null) {
      copyRange(run, out, writeback);
    }
    return written;
  }

  private static void writeFully(FileChannel out, ByteBuffer b) throws IOException {
    while (b.hasRemaining()) {
      out.write(b);
    }
  }

  /** Copies a local range in steps of at most {@link Writeback#EVERY}, so the disk starts on what is copied. */
  private static void copyRange(ChunkData.Range r, FileChannel out, Writeback writeback) throws IOException {
    try (FileChannel in = FileChannel.open(r.file(), StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS)) {
      long done = 0;
      while (done < r.length()) {
        long n = in.transferTo(r.offset() + done, Math.min(r.length() - done, Writeback.EVERY), out);
        writeback.wrote(Math.max(0, n));
        if (n <= 0) {
          throw new IOException(r.file() + " ended before offset " + (r.offset() + r.length())
              + ": it changed after it was indexed");
        }
        done += n;
      }
    }
  }

}
