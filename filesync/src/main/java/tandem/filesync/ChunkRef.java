package tandem.filesync;

/** One content-defined chunk of a file: its SHA-256 and its length in bytes. */
public record ChunkRef(Hash hash, int length) {
  public ChunkRef {
    if (length < 0) {
      throw new IllegalArgumentException("chunk length " + length + " < 0");
    }
  }
}
