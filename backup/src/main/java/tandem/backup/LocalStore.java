package tandem.backup;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * A repository in a directory (local disk, NFS). Writes go through {@link Durable}: a temporary
 * name beside the target, fsync, rename, fsync of the directory. Temporary files start with '.'
 * and are never listed.
 */
public final class LocalStore implements Store {
  private final Path root;
  /** Packs open for reading: a restore reads many blobs from each, in order. */
  private final Map<String, FileChannel> open = new LinkedHashMap<>(8, 0.75f, true) {
    @Override
    protected boolean removeEldestEntry(Map.Entry<String, FileChannel> eldest) {
      if (size() > 8) {
        close(eldest.getValue());
        return true;
      }
      return false;
    }
  };

  public LocalStore(Path root) {
    this.root = root;
  }

  public Path root() {
    return root;
  }

  @Override
  public void create() throws IOException {
    // "keys" first: a second backup creating the same repository at this moment takes a directory that holds anything
    // but no "keys" for one that is not a repository (Repository.init), so the layout must never show another part first.
    for (String d : List.of("keys", "data", "index", "snapshots", "locks")) {
      Files.createDirectories(root.resolve(d));
    }
  }

  @Override
  public boolean isEmpty() throws IOException {
    if (!Files.isDirectory(root)) {
      return true;
    }
    try (Stream<Path> s = Files.list(root)) {
      return s.findAny().isEmpty();
    }
  }

  @Override
  public boolean exists(String name) {
    return Files.exists(root.resolve(name));
  }

  @Override
  public byte[] read(String name) throws IOException {
    return Files.readAllBytes(root.resolve(name));
  }

  @Override
  public java.io.InputStream stream(String name) throws IOException {
    return Files.newInputStream(root.resolve(name));
  }

  @Override
  public byte[] readRange(String name, long offset, int length) throws IOException {
    FileChannel ch = channel(name);
    ByteBuffer b = ByteBuffer.allocate(length);
    while (b.hasRemaining()) {
      if (ch.read(b, offset + b.position()) < 0) {
        return java.util.Arrays.copyOf(b.array(), b.position());
      }
    }
    return b.array();
  }

  @Override
  public int readRange(String name, long offset, byte[] into, int length) throws IOException {
    FileChannel ch = channel(name);
    ByteBuffer b = ByteBuffer.wrap(into, 0, length);
    while (b.hasRemaining()) {
      if (ch.read(b, offset + b.position()) < 0) {
        break;
      }
    }
    return b.position();
  }

  private synchronized FileChannel channel(String name) throws IOException {
    FileChannel ch = open.get(name);
    if (ch == null) {
      ch = FileChannel.open(root.resolve(name), StandardOpenOption.READ);
      open.put(name, ch);
    }
    return ch;
  }

  @Override
  public synchronized void closeReaders() {
    open.values().forEach(LocalStore::close);
    open.clear();
  }

  private static void close(FileChannel ch) {
    try {
      ch.close();
    } catch (IOException e) {
      // only read from it
    }
  }

  @Override
  public List<Entry> list(String dir) throws IOException {
    Path d = root.resolve(dir);
    if (!Files.isDirectory(d)) {
      return List.of();
    }
    List<Path> files;
    try (Stream<Path> s = dir.equals("data") ? Files.walk(d, 2) : Files.list(d)) {
      files = s.filter(Files::isRegularFile).filter(p -> !p.getFileName().toString().startsWith(".")).sorted().toList();
    }
    List<Entry> out = new ArrayList<>();
    for (Path p : files) {
      try {
        out.add(new Entry(root.relativize(p).toString(), Files.size(p)));
      } catch (NoSuchFileException gone) {
        // deleted since listed (a lock released, a pack pruned): not there any more
      }
    }
    return out;
  }

  @Override
  public void write(String name, byte[] data) throws IOException {
    Durable.write(root.resolve(name), data, data.length);
  }

  @Override
  public void write(String name, byte[] data, int length) throws IOException {
    Durable.write(root.resolve(name), data, length);
  }

  /** Atomic between processes: {@link Durable#create}. */
  @Override
  public boolean create(String name, byte[] data) throws IOException {
    return Durable.create(root.resolve(name), data);
  }

  @Override
  public void delete(String name) throws IOException {
    Files.deleteIfExists(root.resolve(name));
  }

  @Override
  public void syncDeletes(String dir) throws IOException {
    Durable.fsyncDir(root.resolve(dir));
  }

  @Override
  public String describe(String name) {
    return root.resolve(name).toString();
  }

  @Override
  public String toString() {
    return root.toString();
  }
}
