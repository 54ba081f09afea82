package tandem.backup;

import java.io.IOException;
import java.util.List;

/**
 * Where a repository's files are kept: a directory ({@link LocalStore}) or an S3 bucket
 * ({@link S3Store}). Files are named by slash-separated paths relative to the repository
 * ({@code config}, {@code keys/ID}, {@code data/ab/abcd...}, {@code index/ID}, {@code snapshots/ID},
 * {@code locks/ID}); the repository format (docs/backup-format.md) is the same on every store.
 *
 * <p><b>Contract.</b> {@link #write} is atomic and durable: once it returns, the whole file is
 * there and survives a crash or power cut, and no reader ever sees part of it. Readers see a
 * file's whole content as of one write. {@link #list} sees every file written before it was
 * called (S3: list-after-write consistency, which AWS S3, MinIO and Garage give). Failures are
 * {@link IOException}s whose message names the repository and says what to do; an absent file
 * is a {@link java.nio.file.NoSuchFileException}. Implementations are safe for concurrent use.
 */
public interface Store {
  /** A file and its size in bytes. */
  record Entry(String name, long size) {
    /** The last part of the name (a pack's, index's, snapshot's or lock's id). */
    public String id() {
      return name.substring(name.lastIndexOf('/') + 1);
    }
  }

  /** Makes the store ready for a new repository (directories; S3: checks the bucket is reachable). */
  void create() throws IOException;

  /** True when the store holds no file at all (a new directory, or an unused S3 prefix). */
  boolean isEmpty() throws IOException;

  boolean exists(String name) throws IOException;

  /** The whole file. */
  byte[] read(String name) throws IOException;

  /** The whole file as a stream, for reading it once from start to end (verifying a pack). */
  default java.io.InputStream stream(String name) throws IOException {
    return new java.io.ByteArrayInputStream(read(name));
  }

  /** {@code length} bytes from {@code offset}; fewer (maybe none) when the file ends before. */
  byte[] readRange(String name, long offset, int length) throws IOException;

  /** Reads {@code length} bytes from {@code offset} into the start of {@code into}; returns how many there were (fewer when the file ends before). */
  default int readRange(String name, long offset, byte[] into, int length) throws IOException {
    byte[] b = readRange(name, offset, length);
    System.arraycopy(b, 0, into, 0, b.length);
    return b.length;
  }

  /** The files under directory {@code dir} (data: its subdirectories too), temporary ones left out, sorted by name. */
  List<Entry> list(String dir) throws IOException;

  /** Writes the whole file atomically and durably, replacing any file of that name. */
  void write(String name, byte[] data) throws IOException;

  /** Writes the first {@code length} bytes of {@code data} as the whole file; see {@link #write(String, byte[])}. */
  default void write(String name, byte[] data, int length) throws IOException {
    write(name, length == data.length ? data : java.util.Arrays.copyOf(data, length));
  }

  /**
   * Writes the file unless one of that name exists; false if it did. Atomic where the store can
   * (S3: a conditional put with {@code If-None-Match: *}); see the implementations for the gaps.
   */
  boolean create(String name, byte[] data) throws IOException;

  /** Deletes the file; no error if it is gone already. Call {@link #syncDeletes} before relying on it. */
  void delete(String name) throws IOException;

  /** Makes the deletions in {@code dir} durable (a directory fsync; nothing to do on S3). */
  default void syncDeletes(String dir) throws IOException {}

  /** Releases what reading kept open (file handles); the store stays usable. */
  default void closeReaders() {}

  /** The full name of a file for messages: a path or an s3 URL. */
  String describe(String name);
}
