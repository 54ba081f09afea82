package tandem.filesync;

import com.google.protobuf.ByteString;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import tandem.transport.proto.SyncEntry;

/**
 * Converts entries to and from their protobuf form. Everything read from a peer is checked here:
 * a malformed or hostile entry is refused with a {@link BadMessageException} naming the problem,
 * before any of it reaches the disk.
 */
final class Wire {
  /** Files up to this size travel inside their entry, so a small write needs no round trip. */
  static final int INLINE_MAX = 64 * 1024;
  static final int MAX_CHUNKS = 1 << 22;

  private Wire() {}

  static SyncEntry deleted(String path, long changedAtMs) {
    return SyncEntry.newBuilder().setPath(path).setDeleted(true).setChangedAtMs(changedAtMs).build();
  }

  static SyncEntry.Builder toWire(FileEntry e) {
    SyncEntry.Builder b = SyncEntry.newBuilder().setPath(e.path()).setKind(e.kind().ordinal()).setSize(e.size())
        .setMtimeNs(e.mtimeNanos()).setMode(e.mode()).setLinkTarget(e.linkTarget());
    if (!e.chunks().isEmpty()) {
      ByteBuffer hashes = ByteBuffer.allocate(e.chunks().size() * Hash.BYTES);
      for (ChunkRef c : e.chunks()) {
        Hash h = c.hash();
        hashes.putLong(h.a()).putLong(h.b()).putLong(h.c()).putLong(h.d());
        b.addChunkLengths(c.length());
      }
      b.setChunkHashes(ByteString.copyFrom(hashes.flip()));
    }
    return b;
  }

  /** The entry a peer sent, checked: a safe path, a known kind, chunks that add up to the size. */
  static FileEntry fromWire(SyncEntry w) throws BadMessageException {
    String path = checkedPath(w.getPath());
    if (w.getKind() < 0 || w.getKind() >= Kind.values().length) {
      throw new BadMessageException(path + ": unknown kind " + w.getKind());
    }
    Kind kind = Kind.values()[w.getKind()];
    if (w.getSize() < 0 || (kind != Kind.FILE && w.getSize() != 0)) {
      throw new BadMessageException(path + ": size " + w.getSize() + " is impossible for a " + kind);
    }
    if ((w.getMode() & ~07777) != 0) {
      throw new BadMessageException(path + ": mode " + Integer.toOctalString(w.getMode()) + " has bits beyond 07777");
    }
    if (kind == Kind.SYMLINK && (w.getLinkTarget().isEmpty() || w.getLinkTarget().indexOf('\0') >= 0)) {
      throw new BadMessageException(path + ": a symlink needs a target without NUL");
    }
    if (kind != Kind.SYMLINK && !w.getLinkTarget().isEmpty()) {
      throw new BadMessageException(path + ": only a symlink has a link target");
    }
    List<ChunkRef> chunks = chunks(path, kind, w);
    if (!w.getInlineData().isEmpty() && w.getInlineData().size() != w.getSize()) {
      throw new BadMessageException(path + ": inline data of " + w.getInlineData().size() + " bytes for a file of "
          + w.getSize());
    }
    return new FileEntry(path, kind, w.getSize(), w.getMtimeNs(), w.getMode(), w.getLinkTarget(), chunks);
  }

  static String checkedPath(String raw) throws BadMessageException {
    try {
      return RelPath.check(raw);
    } catch (HostilePathException e) {
      throw new BadMessageException(e.getMessage());
    }
  }

  private static List<ChunkRef> chunks(String path, Kind kind, SyncEntry w) throws BadMessageException {
    int n = w.getChunkLengthsCount();
    if (w.getChunkHashes().size() != n * Hash.BYTES || n > MAX_CHUNKS) {
      throw new BadMessageException(path + ": " + w.getChunkHashes().size() + " bytes of chunk hashes for " + n
          + " chunk lengths");
    }
    if (kind != Kind.FILE && n > 0) {
      throw new BadMessageException(path + ": a " + kind + " has no chunks");
    }
    List<ChunkRef> out = new ArrayList<>(n);
    ByteBuffer hashes = w.getChunkHashes().asReadOnlyByteBuffer();
    long total = 0;
    for (int i = 0; i < n; i++) {
      int len = w.getChunkLengths(i);
      if (len <= 0) {
        throw new BadMessageException(path + ": chunk " + i + " has length " + len);
      }
      total += len;
      out.add(new ChunkRef(new Hash(hashes.getLong(), hashes.getLong(), hashes.getLong(), hashes.getLong()), len));
    }
    if (total != w.getSize()) {
      throw new BadMessageException(path + ": chunks add up to " + total + " bytes but the size is " + w.getSize());
    }
    return out;
  }

  static List<Hash> hashes(ByteString bytes) throws BadMessageException {
    if (bytes.size() % Hash.BYTES != 0) {
      throw new BadMessageException("a list of hashes of " + bytes.size() + " bytes is not a multiple of 32");
    }
    ByteBuffer b = bytes.asReadOnlyByteBuffer();
    List<Hash> out = new ArrayList<>(bytes.size() / Hash.BYTES);
    while (b.hasRemaining()) {
      out.add(new Hash(b.getLong(), b.getLong(), b.getLong(), b.getLong()));
    }
    return out;
  }

  static ByteString hashBytes(List<Hash> hs) {
    ByteBuffer b = ByteBuffer.allocate(hs.size() * Hash.BYTES);
    hs.forEach(h -> b.putLong(h.a()).putLong(h.b()).putLong(h.c()).putLong(h.d()));
    return ByteString.copyFrom(b.flip());
  }
}
