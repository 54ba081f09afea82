package tandem.filesync;

import java.util.ArrayList;
import java.util.List;

/**
 * One index entry in flat form: what {@link Recorded} holds, without the object graph. Chunks are
 * packed five longs each (the four longs of the hash, then the length). Immutable.
 */
record Slot(String path, Kind kind, boolean synced, int mode, long size, long mtimeNanos, String linkTarget,
    long[] chunks, long inode, long ctimeNanos, long statSize, long statMtimeNanos) {
  static final int LONGS_PER_CHUNK = 5;
  private static final long[] NO_CHUNKS = new long[0];

  static Slot of(String path, FileEntry entry, LocalStat stat, boolean synced) {
    List<ChunkRef> refs = entry.chunks();
    long[] chunks = refs.isEmpty() ? NO_CHUNKS : new long[refs.size() * LONGS_PER_CHUNK];
    for (int i = 0; i < refs.size(); i++) {
      Hash h = refs.get(i).hash();
      int at = i * LONGS_PER_CHUNK;
      chunks[at] = h.a();
      chunks[at + 1] = h.b();
      chunks[at + 2] = h.c();
      chunks[at + 3] = h.d();
      chunks[at + 4] = refs.get(i).length();
    }
    // "" is interned, so empty link targets cost nothing per entry.
    String target = entry.linkTarget().isEmpty() ? "" : entry.linkTarget();
    return new Slot(path, entry.kind(), synced, entry.mode(), entry.size(), entry.mtimeNanos(), target, chunks,
        stat.inode(), stat.ctimeNanos(), stat.size(), stat.mtimeNanos());
  }

  Slot withSynced(boolean value) {
    return new Slot(path, kind, value, mode, size, mtimeNanos, linkTarget, chunks, inode, ctimeNanos, statSize,
        statMtimeNanos);
  }

  FileEntry toEntry() {
    List<ChunkRef> refs = new ArrayList<>(chunkCount());
    for (int i = 0; i < chunkCount(); i++) {
      refs.add(new ChunkRef(chunkHash(i), chunkLength(i)));
    }
    return new FileEntry(path, kind, size, mtimeNanos, mode, linkTarget, refs);
  }

  LocalStat toStat() {
    return new LocalStat(inode, ctimeNanos, statSize, statMtimeNanos);
  }

  Recorded toRecorded() {
    return new Recorded(toEntry(), toStat(), synced);
  }

  int chunkCount() {
    return chunks.length / LONGS_PER_CHUNK;
  }

  Hash chunkHash(int number) {
    int at = number * LONGS_PER_CHUNK;
    return new Hash(chunks[at], chunks[at + 1], chunks[at + 2], chunks[at + 3]);
  }

  boolean chunkHashEquals(int number, Hash hash) {
    int at = number * LONGS_PER_CHUNK;
    return number < chunkCount() && chunks[at] == hash.a() && chunks[at + 1] == hash.b()
        && chunks[at + 2] == hash.c() && chunks[at + 3] == hash.d();
  }

  int chunkLength(int number) {
    return (int) chunks[number * LONGS_PER_CHUNK + 4];
  }

  long chunkOffset(int number) {
    long offset = 0;
    for (int i = 0; i < number; i++) {
      offset += chunkLength(i);
    }
    return offset;
  }

  /** The bytes this entry adds to the index's total: a file's size, 0 for anything else. */
  long fileBytes() {
    return kind == Kind.FILE ? size : 0;
  }
}
