package tandem.filesync;

import java.io.IOException;
import java.nio.file.Path;

/**
 * A saved index cannot be trusted (truncated, damaged, or written by an unknown version). The
 * owner should start from an empty index and rebuild it by a full scan; nothing is lost but time.
 */
public final class CorruptIndexException extends IOException {
  private static final long serialVersionUID = 1L;

  CorruptIndexException(Path file, String problem, Throwable cause) {
    super("index file " + file + " is unusable (" + problem + "); the index will be rebuilt by a full scan",
        cause);
  }
}
