package tandem.filesync;

import java.io.IOException;

/** Gives the {@code Applier} each chunk of a file it assembles, in order. */
@FunctionalInterface
public interface ChunkSource {
  /**
   * The bytes of {@code chunk}, found locally or fetched from the primary.
   *
   * @throws IOException when the chunk cannot be had (the apply of this file is abandoned, the
   *     old content stays)
   */
  ChunkData read(ChunkRef chunk) throws IOException, InterruptedException;

  /** The applier is about to read the chunks of {@code file}, in order. */
  default void starting(FileEntry file) {}

  /** The applier will not read the chunks of {@code file} (its content is there already). */
  default void skipped(FileEntry file) {}
}
