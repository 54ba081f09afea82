package tandem.filesync;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
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
    boolean done = false;
    // Created 0600: nobody reads the new content before its own mode is set.
    try (FileChannel out = FileChannel.open(tmp, CREATE_NEW_WRITE, PRIVATE)) {
      Writeback writeback = new Writeback(out);
      long written = copyChunks(entry, source, out, writeback);
      writeback.finish();
      if (written != entry.size()) {
        throw new IOException("assembled " + written + " bytes but the entry says " + entry.size()
            + " (its chunks do not add up: a bug on the sending side)");
      }
      finish(tmp, entry.mode(), entry.mtimeNanos());
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
    if (owner.isPresent()) {
      owner.get().applyTo(p);
    }
    Files.setAttribute(p, "unix:mode", fileMode(mode), LinkOption.NOFOLLOW_LINKS);
    Files.setLastModifiedTime(p, FileTime.from(mtimeNanos, TimeUnit.NANOSECONDS));
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
