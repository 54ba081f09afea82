package tandem.filesync;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.function.Consumer;
import java.util.zip.CRC32C;
import java.util.zip.CheckedInputStream;
import java.util.zip.CheckedOutputStream;

/**
 * The on-disk form of an {@link Index}.
 *
 * <pre>
 * magic "TNDMIDX\n" (8 bytes), version (int, 1), entry count (int)
 * per entry, in path order:
 *   path (int length + UTF-8), kind (byte, ordinal of Kind), synced (byte), mode (int), size (long),
 *   mtime ns (long), link target (int length + UTF-8), chunk count (int), per chunk: 4 longs of
 *   hash + length (int); stat: inode, ctime ns, size, mtime ns (4 longs)
 * CRC32C of every byte above (int)
 * </pre>
 *
 * <p>All numbers big-endian. A file that does not match exactly (short, long, wrong magic, version
 * or checksum) is rejected as a whole: an index that is silently wrong would make a node skip
 * hashing files that changed, which is worse than one full scan.
 */
final class IndexFile {
  private static final byte[] MAGIC = "TNDMIDX\n".getBytes(StandardCharsets.US_ASCII);
  static final int VERSION = 1;
  private static final int MAX_STRING_BYTES = 64 * 1024;
  private static final int BUFFER = 1 << 20;
  private static final Kind[] KINDS = Kind.values();

  private IndexFile() {}

  /** Writes to a temporary file beside {@code file}, fsyncs it, renames it over, fsyncs the directory. */
  static void write(Path file, Slot[] slots) throws IOException {
    Path dir = file.toAbsolutePath().getParent();
    Path tmp = dir.resolve(".tandem-tmp-" + file.getFileName());
    try (FileChannel channel = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
        StandardOpenOption.TRUNCATE_EXISTING)) {
      CRC32C crc = new CRC32C();
      // The checksum sits above the buffer, so it covers exactly the bytes written before it.
      var out = new DataOutputStream(new CheckedOutputStream(
          new BufferedOutputStream(Channels.newOutputStream(channel), BUFFER), crc));
      out.write(MAGIC);
      out.writeInt(VERSION);
      out.writeInt(slots.length);
      for (Slot slot : slots) {
        writeSlot(out, slot);
      }
      out.writeInt((int) crc.getValue());
      out.flush();
      channel.force(true);
    } catch (IOException e) {
      Files.deleteIfExists(tmp);
      throw new IOException("could not save the index to " + file + ": " + e.getMessage(), e);
    }
    Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
      d.force(true); // makes the rename itself durable
    }
  }

  /** Reads {@code file} and gives each slot to {@code sink} in path order. */
  static void read(Path file, Consumer<Slot> sink) throws IOException {
    try (var raw = Files.newInputStream(file)) {
      CRC32C crc = new CRC32C();
      var in = new DataInputStream(new CheckedInputStream(new BufferedInputStream(raw, BUFFER), crc));
      byte[] magic = new byte[MAGIC.length];
      in.readFully(magic);
      if (!java.util.Arrays.equals(magic, MAGIC)) {
        throw new CorruptIndexException(file, "not a tandem index file", null);
      }
      int version = in.readInt();
      if (version != VERSION) {
        throw new CorruptIndexException(file, "version " + version + ", this tandem reads version " + VERSION, null);
      }
      int count = in.readInt();
      if (count < 0) {
        throw new CorruptIndexException(file, "negative entry count " + count, null);
      }
      String previous = null;
      for (int i = 0; i < count; i++) {
        Slot slot = readSlot(in);
        if (previous != null && previous.compareTo(slot.path()) >= 0) {
          throw new CorruptIndexException(file, "paths out of order at entry " + i, null);
        }
        sink.accept(slot);
        previous = slot.path();
      }
      int expected = (int) crc.getValue();
      int stored = in.readInt();
      if (stored != expected || in.read() != -1) {
        throw new CorruptIndexException(file, stored != expected ? "checksum mismatch" : "bytes after the end", null);
      }
    } catch (CorruptIndexException | NoSuchFileException e) {
      throw e;
    } catch (EOFException e) {
      throw new CorruptIndexException(file, "truncated", e);
    } catch (IllegalArgumentException | IndexOutOfBoundsException | NullPointerException e) {
      throw new CorruptIndexException(file, "invalid entry: " + e.getMessage(), e);
    }
  }

  private static void writeSlot(DataOutputStream out, Slot s) throws IOException {
    writeString(out, s.path());
    out.writeByte(s.kind().ordinal());
    out.writeByte(s.synced() ? 1 : 0);
    out.writeInt(s.mode());
    out.writeLong(s.size());
    out.writeLong(s.mtimeNanos());
    writeString(out, s.linkTarget());
    out.writeInt(s.chunkCount());
    long[] chunks = s.chunks();
    for (int i = 0; i < s.chunkCount(); i++) {
      int at = i * Slot.LONGS_PER_CHUNK;
      for (int j = 0; j < 4; j++) {
        out.writeLong(chunks[at + j]);
      }
      out.writeInt((int) chunks[at + 4]);
    }
    out.writeLong(s.inode());
    out.writeLong(s.ctimeNanos());
    out.writeLong(s.statSize());
    out.writeLong(s.statMtimeNanos());
  }

  private static Slot readSlot(DataInputStream in) throws IOException {
    String path = readString(in);
    if (path.isEmpty()) {
      throw new IllegalArgumentException("empty path");
    }
    Kind kind = KINDS[in.readUnsignedByte()];
    boolean synced = in.readUnsignedByte() != 0;
    int mode = in.readInt();
    long size = in.readLong();
    long mtime = in.readLong();
    String target = readString(in);
    int count = in.readInt();
    if (count < 0 || count > (Integer.MAX_VALUE / Slot.LONGS_PER_CHUNK)) {
      throw new IllegalArgumentException("chunk count " + count + " of " + path);
    }
    long[] chunks = new long[count * Slot.LONGS_PER_CHUNK];
    for (int i = 0; i < count; i++) {
      int at = i * Slot.LONGS_PER_CHUNK;
      for (int j = 0; j < 4; j++) {
        chunks[at + j] = in.readLong();
      }
      chunks[at + 4] = in.readInt();
    }
    return new Slot(path, kind, synced, mode, size, mtime, target, chunks, in.readLong(), in.readLong(),
        in.readLong(), in.readLong());
  }

  private static void writeString(DataOutputStream out, String s) throws IOException {
    byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
    out.writeInt(bytes.length);
    out.write(bytes);
  }

  private static String readString(DataInputStream in) throws IOException {
    int length = in.readInt();
    if (length < 0 || length > MAX_STRING_BYTES) {
      throw new IllegalArgumentException("string length " + length);
    }
    byte[] bytes = in.readNBytes(length);
    if (bytes.length != length) {
      throw new EOFException();
    }
    return length == 0 ? "" : new String(bytes, StandardCharsets.UTF_8);
  }
}
