package tandem.filesync;

import java.nio.file.Path;

/** Where the bytes of one chunk come from when a replica assembles a file. */
public sealed interface ChunkData {
  int length();

  /** Bytes received from the primary, already checked against the chunk's hash. */
  record Bytes(byte[] data, int offset, int length) implements ChunkData {}

  /**
   * Bytes received from the primary, still in the buffer the message was parsed into (no copy),
   * already checked against the chunk's hash. Read-only; each use takes its own duplicate.
   */
  record Buffer(java.nio.ByteBuffer data) implements ChunkData {
    @Override
    public int length() {
      return data.remaining();
    }
  }

  /**
   * A range of a local file that holds the chunk; the caller checked that the file is unchanged
   * since it was hashed, so the range can be copied without reading it through Java (copy_file_range).
   */
  record Range(Path file, long offset, int length) implements ChunkData {}
}
