package tandem.filesync;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Test entries and a chunk store: content is cut at fixed 4 KiB boundaries (the real Chunker is
 * content-defined; the applier does not care where the cuts are).
 */
final class Chunks implements ChunkSource {
  static final int SIZE = 4096;
  final Map<Hash, byte[]> store = new ConcurrentHashMap<>();

  FileEntry file(String path, byte[] content) {
    return file(path, content, 0644, 1_700_000_000_123_456_789L);
  }

  FileEntry file(String path, byte[] content, int mode, long mtimeNanos) {
    return new FileEntry(path, Kind.FILE, content.length, mtimeNanos, mode, "", refs(content));
  }

  static FileEntry dir(String path) {
    return new FileEntry(path, Kind.DIR, 0, 1_700_000_000_000_000_000L, 0755, "", List.of());
  }

  static FileEntry link(String path, String target) {
    return new FileEntry(path, Kind.SYMLINK, 0, 0, 0, target, List.of());
  }

  List<ChunkRef> refs(byte[] content) {
    List<ChunkRef> refs = new ArrayList<>();
    for (int off = 0; off < content.length; off += SIZE) {
      int len = Math.min(SIZE, content.length - off);
      Hash h = Hash.of(content, off, len);
      store.put(h, java.util.Arrays.copyOfRange(content, off, off + len));
      refs.add(new ChunkRef(h, len));
    }
    return refs;
  }

  @Override
  public ChunkData read(ChunkRef chunk) throws IOException {
    byte[] b = store.get(chunk.hash());
    if (b == null) {
      throw new IOException("test store has no chunk " + chunk.hash());
    }
    return new ChunkData.Bytes(b, 0, b.length);
  }
}
