package tandem.filesync;

/**
 * Where a chunk's bytes lie in the local tree, as the index last saw them: {@code length} bytes at
 * {@code offset} in the file {@code path} (relative to the replicated root). The file may have
 * changed since; a reader must check the bytes against the chunk's hash, or check that the file's
 * stat still matches the index, before it trusts them.
 */
public record ChunkLocation(String path, long offset, int length) {}
