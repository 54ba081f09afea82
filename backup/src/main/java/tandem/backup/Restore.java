package tandem.backup;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;

/**
 * Restores a snapshot, or one path in it, into a target directory that is new or empty. Every
 * file is written under a temporary name and renamed when complete; every name read from the
 * repository is checked to be one path segment, so a tampered tree cannot write outside the target.
 *
 * <p><b>Pipeline.</b> The trees are walked first: directories and symbolic links are made at once,
 * files are only listed. Then the calling thread writes the files in tree order while a few
 * threads read, decrypt, decompress and check their chunks ahead of it (at most
 * {@link #AHEAD_BYTES} of sealed chunks or {@link #AHEAD_CHUNKS} chunks in flight, in arrays the
 * writer gives back), so the writer does little besides the file
 * system calls. One writer, not several: two writing threads doubled the kernel's time in ext4's
 * inode allocation for no gain (bench/RESULTS.md, backups run 3). A directory's mode and time are
 * set last, children first, once nothing more is written into it.
 */
public final class Restore {
  /** Sealed chunk bytes read ahead of the writer, at most. */
  static final long AHEAD_BYTES = 8L << 20;
  /** Chunks read ahead of the writer, at most (small files: one chunk each). */
  static final int AHEAD_CHUNKS = 64;
  private final Repository repo;
  private final int readers;
  private long files;
  private long bytes;
  /** Files to write, in tree order. */
  private final List<PlannedFile> planned = new ArrayList<>();
  /** Directories whose mode and time are still to be set, children before parents. */
  private final List<PlannedDir> dirs = new ArrayList<>();
  /** The access time given to what a restore writes: when it began (the snapshot keeps none). */
  private final FileTime accessed = FileTime.from(java.time.Instant.now());

  private record PlannedFile(Model.Node node, Path path) {}

  private record PlannedDir(Model.Node node, Path path) {}

  public Restore(Repository repo) {
    this(repo, Math.max(1, Math.min(4, Runtime.getRuntime().availableProcessors())));
  }

  /** With {@code readers} threads reading and opening chunks ahead of the writing thread. */
  Restore(Repository repo, int readers) {
    if (readers < 1) {
      throw new IllegalArgumentException("readers must be at least 1, not " + readers);
    }
    this.repo = repo;
    this.readers = readers;
  }

  /** What a restore wrote. */
  public record Result(long files, long bytes) {}

  /**
   * Restores {@code path} ("" or "/" for everything; else "group/..." or a path under a source) of
   * snapshot {@code snapshot} into {@code target}.
   */
  public Result run(Repository.StoredSnapshot snapshot, String path, Path target) throws IOException {
    if (Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
      try (var s = Files.list(target)) {
        if (s.findAny().isPresent()) {
          throw new FileAlreadyExistsException(target + " is not empty; restore into a new or empty directory (nothing"
              + " is overwritten)");
        }
      }
    }
    Files.createDirectories(target);
    List<String> want = segments(path);
    boolean found = false;
    List<Model.Source> sources = snapshot.snapshot().sources();
    for (Model.Source src : sources) {
      // One source restores into the target itself; several into <group>/<directory name>.
      List<String> label = sources.size() == 1 ? List.of() : List.of(checked(src.group()), checked(Path.of(src.path()).getFileName().toString()));
      int common = 0;
      while (common < label.size() && common < want.size() && label.get(common).equals(want.get(common))) {
        common++;
      }
      if (common < Math.min(label.size(), want.size())) {
        continue; // the path asked for is under another source
      }
      Path dest = target;
      for (String seg : label) {
        dest = dest.resolve(seg);
      }
      List<String> rest = want.size() > label.size() ? want.subList(label.size(), want.size()) : List.of();
      found |= restoreUnder(src.tree(), rest, dest);
    }
    if (!found) {
      throw new java.nio.file.NoSuchFileException("snapshot " + snapshot.id().substring(0, 8) + " holds no " + path);
    }
    drain();
    return new Result(files, bytes);
  }

  private boolean restoreUnder(String treeId, List<String> rest, Path dest) throws IOException {
    if (rest.isEmpty()) {
      Files.createDirectories(dest);
      restoreTree(treeId, dest);
      return true;
    }
    for (Model.Node n : repo.tree(treeId).nodes()) {
      if (n.name().equals(rest.getFirst())) {
        if (rest.size() == 1) {
          Files.createDirectories(dest);
          plan(n, dest.resolve(checked(n.name())));
          return true;
        }
        return n.subtree() != null && restoreUnder(n.subtree(), rest.subList(1, rest.size()), dest);
      }
    }
    return false;
  }

  private void restoreTree(String treeId, Path dir) throws IOException {
    for (Model.Node n : repo.tree(treeId).nodes()) {
      plan(n, dir.resolve(checked(n.name())));
    }
  }

  /** Restores one entry (a whole directory with what is under it) now. */
  void restoreNode(Model.Node n, Path p) throws IOException {
    plan(n, p);
    drain();
  }

  /** Makes a directory or a link now; lists a file for {@link #drain}. */
  private void plan(Model.Node n, Path p) throws IOException {
    switch (n.type()) {
      case "dir" -> {
        Files.createDirectories(p);
        restoreTree(n.subtree(), p);
        dirs.add(new PlannedDir(n, p));
      }
      case "symlink" -> Files.createSymbolicLink(p, p.getFileSystem().getPath(n.target()));
      case "file" -> planned.add(new PlannedFile(n, p));
      default -> throw new CorruptException(p + ": unknown entry type " + n.type());
    }
  }

  /** Writes the listed files, then sets the listed directories' modes and times. */
  private void drain() throws IOException {
    if (!planned.isEmpty()) {
      try (ChunkReader chunks = new ChunkReader(repo, planned, readers)) {
        for (PlannedFile f : planned) {
          write(f, chunks);
        }
      }
      planned.clear();
    }
    for (PlannedDir d : dirs) {
      finish(d.path(), d.node());
    }
    dirs.clear();
  }

  private void write(PlannedFile f, ChunkReader chunks) throws IOException {
    Path p = f.path();
    Model.Node n = f.node();
    Path tmp = p.resolveSibling(".restore-tmp-" + p.getFileName());
    long written = 0;
    try (FileChannel out = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
      for (int i = 0; i < n.content().size(); i++) {
        Crypto.Plain chunk = chunks.next();
        ByteBuffer b = ByteBuffer.wrap(chunk.bytes(), 0, chunk.length());
        written += b.remaining();
        while (b.hasRemaining()) {
          out.write(b);
        }
        chunks.recycle(chunk.bytes());
      }
    } catch (IOException | RuntimeException e) {
      Files.deleteIfExists(tmp);
      throw e;
    }
    if (written != n.size()) {
      Files.deleteIfExists(tmp);
      throw new CorruptException(p + ": its chunks add up to " + written + " bytes, the snapshot says " + n.size());
    }
    finish(tmp, n);
    Files.move(tmp, p, StandardCopyOption.ATOMIC_MOVE);
    files++;
    bytes += n.size();
  }

  /**
   * The chunks of a list of files, in order, read and opened by a few threads ahead of the caller
   * of {@link #next} (the single writing thread). Closing it stops the readers.
   */
  private static final class ChunkReader implements AutoCloseable {
    private final Repository repo;
    private final Iterator<String> ids;
    private final ArrayDeque<Future<Crypto.Plain>> ahead = new ArrayDeque<>();
    /** Arrays the writer is done with, by size class (4 KiB, 8 KiB, ... 256 KiB, the largest chunk). */
    private final List<ConcurrentLinkedQueue<byte[]>> free = IntStream
        .rangeClosed(MIN_CLASS, MAX_CLASS).mapToObj(i -> new ConcurrentLinkedQueue<byte[]>()).toList();
    private final ArrayDeque<Long> aheadBytes = new ArrayDeque<>();
    private final ExecutorService pool;
    private long inFlight;

    ChunkReader(Repository repo, List<PlannedFile> files, int threads) {
      this.repo = repo;
      this.ids = files.stream().flatMap(f -> f.node().content().stream()).iterator();
      this.pool = Executors.newFixedThreadPool(threads,
          Thread.ofPlatform().daemon().name("restore-read-", 0).factory());
    }

    private static final int MIN_CLASS = 12;
    private static final int MAX_CLASS = 18;

    /** An array of at least {@code n} bytes: a recycled one of its size class, or a new one. */
    private byte[] buffer(int n) {
      int c = Math.max(MIN_CLASS, 32 - Integer.numberOfLeadingZeros(Math.max(1, n) - 1));
      if (c > MAX_CLASS) {
        return new byte[n];
      }
      byte[] b = free.get(c - MIN_CLASS).poll();
      return b != null ? b : new byte[1 << c];
    }

    /** Takes back an array {@link #next} gave, once its bytes are written. */
    void recycle(byte[] b) {
      int c = Integer.numberOfTrailingZeros(b.length);
      if (b.length == 1 << c && c >= MIN_CLASS && c <= MAX_CLASS) {
        free.get(c - MIN_CLASS).offer(b);
      }
    }

    /** The plain bytes of the next chunk in file order. */
    Crypto.Plain next() throws IOException {
      fill();
      Future<Crypto.Plain> f = ahead.poll();
      if (f == null) {
        throw new CorruptException("the files' chunk lists ended early");
      }
      inFlight -= aheadBytes.poll();
      try {
        return f.get();
      } catch (ExecutionException e) {
        if (e.getCause() instanceof IOException io) {
          throw io;
        }
        if (e.getCause() instanceof RuntimeException re) {
          throw re;
        }
        throw new IOException("reading a chunk failed: " + e.getCause(), e.getCause());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new InterruptedIOException("interrupted while restoring");
      }
    }

    /** Hands chunks to the readers until {@link #AHEAD_BYTES} are in flight (at least one). */
    private void fill() {
      while (ids.hasNext() && (ahead.isEmpty() || inFlight < AHEAD_BYTES && ahead.size() < AHEAD_CHUNKS)) {
        String id = ids.next();
        long size = repo.sealedLength(id);
        ahead.add(pool.submit(() -> repo.get(id, this::buffer)));
        aheadBytes.add(size);
        inFlight += size;
      }
    }

    @Override
    public void close() {
      pool.shutdownNow();
    }
  }

  private void finish(Path p, Model.Node n) throws IOException {
    Files.setPosixFilePermissions(p, permissions(n.mode() & 0777));
    // Both times given: with one left out the JDK reads the file's attributes first (a stat per
    // file); and not following links, which makes it one utimensat by path, where following them
    // it opens the file to set the times through the descriptor (strace: an open and a close per file).
    Files.getFileAttributeView(p, BasicFileAttributeView.class, LinkOption.NOFOLLOW_LINKS)
        .setTimes(FileTime.from(n.mtimeNanos(), TimeUnit.NANOSECONDS), accessed, null);
  }

  static Set<PosixFilePermission> permissions(int mode) {
    Set<PosixFilePermission> s = EnumSet.noneOf(PosixFilePermission.class);
    for (PosixFilePermission p : PosixFilePermission.values()) {
      if ((mode & (1 << (8 - p.ordinal()))) != 0) {
        s.add(p);
      }
    }
    return s;
  }

  static List<String> segments(String path) throws CorruptException {
    List<String> out = new ArrayList<>();
    for (String s : path.split("/")) {
      if (!s.isEmpty()) {
        out.add(checked(s));
      }
    }
    return out;
  }

  /** A name from the repository or the user: one path segment, never "." or "..". */
  static String checked(String name) throws CorruptException {
    if (name.isEmpty() || name.equals(".") || name.equals("..") || name.indexOf('/') >= 0 || name.indexOf('\0') >= 0) {
      throw new CorruptException("refusing the name '" + name + "': not a single path segment");
    }
    return name;
  }
}
