package tandem.filesync;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.lang.ref.SoftReference;
import java.nio.channels.ReadableByteChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * Runs {@link Chunker#cutAll} on a helper thread while the calling thread hashes, so the two
 * halves of chunking (gear and SHA-256) use two cores.
 *
 * <p>Three buffers circulate: one being filled and cut, one being hashed, one spare (kept for the
 * next file afterwards). The consumer
 * runs on the calling thread, so its exceptions reach the caller unchanged. The helper is never
 * interrupted, because an interrupt during {@code FileChannel.read} would close the caller's
 * channel; it is stopped by a flag and by always finding a free buffer.
 */
final class ChunkPipeline {
  private static final int BUFFERS = 3;
  private static final Chunker.Batch END = new Chunker.Batch();
  /**
   * Buffers kept from one big file to the next (4 MiB each, a few files' worth). Each file would
   * otherwise allocate four, which a small young generation cannot hold: they went straight to the
   * old generation and made the heap grow by hundreds of MiB during a sync of big files. Held
   * softly, so an idle agent's collector may take them back.
   */
  private static final int SPARE_MAX = 2 * (BUFFERS + 1);
  private static final ConcurrentLinkedQueue<SoftReference<Chunker.Batch>> SPARE = new ConcurrentLinkedQueue<>();

  private final BlockingQueue<Chunker.Batch> free = new ArrayBlockingQueue<>(BUFFERS);
  private final BlockingQueue<Chunker.Batch> full = new ArrayBlockingQueue<>(BUFFERS + 1);
  private volatile boolean stopped;
  private volatile Throwable failure;
  private long length;
  private final List<Chunker.Batch> borrowed = new ArrayList<>(); // guarded by itself

  private ChunkPipeline() {}

  static long run(ReadableByteChannel in, Chunker.ChunkHasher hasher) throws IOException {
    return new ChunkPipeline().hashAll(in, hasher);
  }

  private long hashAll(ReadableByteChannel in, Chunker.ChunkHasher hasher) throws IOException {
    for (int i = 1; i < BUFFERS; i++) {
      free.add(borrow());
    }
    Chunker.Batch first = borrow();
    Thread reader = Thread.ofPlatform().daemon().name("chunker-cut").start(() -> cut(in, first));
    try {
      while (true) {
        Chunker.Batch batch = take(full);
        if (batch == END) {
          break;
        }
        hasher.hash(batch);
        if (batch.last) {
          break;
        }
        free.add(batch);
      }
    } finally {
      stopped = true;
      free.offer(borrow()); // the reader may wait for a buffer; let it see the flag
      joinUninterruptibly(reader);
      giveBack();
    }
    if (failure != null) {
      throw failure instanceof IOException e ? e : new IOException("chunking failed: " + failure, failure);
    }
    return length;
  }

  /** A spare buffer, or a new one; every one borrowed is given back once the reader has stopped. */
  private Chunker.Batch borrow() {
    Chunker.Batch b = null;
    for (SoftReference<Chunker.Batch> r = SPARE.poll(); r != null && b == null; r = SPARE.poll()) {
      b = r.get();
    }
    if (b == null) {
      b = new Chunker.Batch();
    }
    synchronized (borrowed) {
      borrowed.add(b);
    }
    return b;
  }

  private void giveBack() {
    synchronized (borrowed) {
      for (Chunker.Batch b : borrowed) {
        if (SPARE.size() < SPARE_MAX) {
          b.count = 0;
          b.end = 0;
          b.offset = 0;
          b.last = false;
          SPARE.add(new SoftReference<>(b));
        }
      }
      borrowed.clear();
    }
  }

  private void cut(ReadableByteChannel in, Chunker.Batch first) {
    try {
      length = Chunker.cutAll(in, first, (batch, tail) -> {
        if (stopped) {
          throw new InterruptedIOException("chunking stopped by the hashing side");
        }
        Chunker.Batch next = batch.last ? null : take(free);
        if (next != null) {
          System.arraycopy(batch.buf, batch.end - tail, next.buf, 0, tail);
        }
        full.add(batch); // never blocks: at most BUFFERS batches exist
        return next;
      });
    } catch (IOException | RuntimeException | Error e) {
      if (!stopped) {
        failure = e;
      }
      full.add(END);
    }
  }

  private static Chunker.Batch take(BlockingQueue<Chunker.Batch> queue) throws InterruptedIOException {
    try {
      return queue.take();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted while chunking");
    }
  }

  private static void joinUninterruptibly(Thread thread) {
    boolean interrupted = false;
    while (true) {
      try {
        thread.join();
        break;
      } catch (InterruptedException e) {
        interrupted = true;
      }
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
  }
}
