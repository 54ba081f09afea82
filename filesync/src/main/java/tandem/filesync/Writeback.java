package tandem.filesync;

import java.io.IOException;
import java.nio.channels.FileChannel;

/**
 * Starts the disk on a big temporary file while the rest of it is still being assembled: every
 * {@link #EVERY} bytes written, a {@code fdatasync} runs on a helper thread (unless the one before
 * is still running). The machine's dirty-page limits are gigabytes, so without this the kernel
 * would write nothing until the final fsync, and a 1 GiB file would be copied first and written
 * to disk after; with it, copying and writing overlap and the final fsync waits for the last
 * stretch only.
 *
 * <p>This adds fsyncs, it replaces none: the caller still makes the whole file durable before it
 * is renamed into place. A failed early sync fails the file ({@link #finish} throws it), so a
 * writeback error reported to the helper is never lost to the caller's own fsync.
 *
 * <p>Not thread-safe: one writer thread calls {@link #wrote} and {@link #finish}.
 */
final class Writeback {
  /** Bytes written between two early syncs. */
  static final long EVERY = 64L << 20;

  private final FileChannel out;
  private long unsynced;
  private Thread helper;
  private volatile IOException failed;

  Writeback(FileChannel out) {
    this.out = out;
  }

  /** {@code bytes} more were written to the file. */
  void wrote(long bytes) {
    unsynced += bytes;
    if (unsynced >= EVERY && (helper == null || !helper.isAlive())) {
      unsynced = 0;
      helper = Thread.ofPlatform().daemon().name("tandem-writeback").start(this::sync);
    }
  }

  private void sync() {
    try {
      out.force(false);
    } catch (IOException e) {
      failed = e;
    }
  }

  /** Waits for an early sync still running; throws the failure of any. */
  void finish() throws IOException, InterruptedException {
    if (helper != null) {
      helper.join();
    }
    IOException e = failed;
    if (e != null) {
      throw new IOException("writing the temporary file to disk failed: " + e.getMessage(), e);
    }
  }
}
