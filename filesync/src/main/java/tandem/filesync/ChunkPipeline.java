package tandem.filesync;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.channels.ReadableByteChannel;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;

/**
 * Runs {@link Chunker#cutAll} on a helper thread while the calling thread hashes, so the two
 * halves of chunking (gear and SHA-256) use two cores.
 *
 * <p>Three buffers circulate: one being filled and cut, one being hashed, one spare. The consumer
 * runs on the calling thread, so its exceptions reach the caller unchanged. The helper is never
 * interrupted, because an interrupt during {@code FileChannel.read} would close the caller's
 * channel; it is stopped by a flag and by always finding a free buffer.
 */
final class ChunkPipeline {
  private static final int BUFFERS = 3;
  private static final Chunker.Batch END = new Chunker.Batch();

  private final BlockingQueue<Chunker.Batch> free = new ArrayBlockingQueue<>(BUFFERS);
  private final BlockingQueue<Chunker.Batch> full = new ArrayBlockingQueue<>(BUFFERS + 1);
  private volatile boolean stopped;
  private volatile Throwable failure;
  private long length;

  private ChunkPipeline() {}

  static long run(ReadableByteChannel in, Chunker.ChunkHasher hasher) throws IOException {
    return new ChunkPipeline().hashAll(in, hasher);
  }

  private long hashAll(ReadableByteChannel in, Chunker.ChunkHasher hasher) throws IOException {
    for (int i = 1; i < BUFFERS; i++) {
      free.add(new Chunker.Batch());
    }
    Thread reader = Thread.ofPlatform().daemon().name("chunker-cut").start(() -> cut(in));
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
      free.offer(new Chunker.Batch()); // the reader may wait for a buffer; let it see the flag
      joinUninterruptibly(reader);
    }
    if (failure != null) {
      throw failure instanceof IOException e ? e : new IOException("chunking failed: " + failure, failure);
    }
    return length;
  }

  private void cut(ReadableByteChannel in) {
    try {
      length = Chunker.cutAll(in, new Chunker.Batch(), (batch, tail) -> {
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
