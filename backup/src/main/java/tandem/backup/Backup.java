package tandem.backup;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import tandem.filesync.Chunker;

/**
 * Takes one snapshot: walks each source directory (never following a symlink), cuts every file
 * into content-defined chunks with the same chunker as file replication, stores the chunks and the
 * directory trees the repository does not have yet, and writes the snapshot last. tandem's own
 * names ({@code .tandem-versions} at the top, {@code .tandem-tmp-*} anywhere) are left out.
 *
 * <p>Like restic, a backup starts from its parent, the newest snapshot of the same backup name
 * that holds the same source: a file whose size, mtime, ctime and inode are those its parent
 * recorded, and whose chunks the repository still has, keeps its parent's chunk list and is not
 * read again. {@link #rereadAll} turns that off.
 */
public final class Backup {
  private final Repository repo;
  private final Progress progress;
  private long files;
  private long bytes;
  private long reused;
  private boolean rereadAll;
  private final List<String> skipped = new ArrayList<>();
  /** Threads that hash, compress and seal chunks (zstd is the slow part, about 400 MB/s a core). */
  static final int SEALERS = Math.max(2, Runtime.getRuntime().availableProcessors());
  /** Chunks read and not yet added to a pack, across files: at most 256 KiB each. */
  private static final int AHEAD = 8 * SEALERS;
  private final ExecutorService sealers = Executors.newFixedThreadPool(SEALERS, Thread.ofPlatform().daemon().name("backup-seal-", 0).factory());
  private final Semaphore ahead = new Semaphore(AHEAD);
  /** Chunk buffers free again (at most {@link #AHEAD}): a gigabyte read does not allocate a gigabyte. */
  private final java.util.concurrent.ConcurrentLinkedQueue<byte[]> buffers = new java.util.concurrent.ConcurrentLinkedQueue<>();
  /** The first failure of a sealer; the walk stops at its next chunk. */
  private volatile Throwable failed;

  /** Told about each file as it is read (its chunks are sealed and stored just after), for a progress line. */
  public interface Progress {
    void file(Path path, long size);

    /** Called once before the first file with the bytes the parent snapshot held (0 without one), for an ETA. */
    default void expect(long bytes) {}

    Progress NONE = (p, s) -> {};
  }

  /** A directory to back up, with the group and resource it belongs to. */
  public record Source(String group, String kind, Path path) {}

  /** One stream to store as a file: a database dump, produced by a process writing to its standard output. */
  public record Dump(String name, ProcessStarter start) {}

  /** Starts the process whose standard output is the dump. */
  @FunctionalInterface
  public interface ProcessStarter {
    Process start() throws IOException;
  }

  /** Dumps of one database resource, stored as one directory of the snapshot (e.g. globals.sql, shop.pgdump). */
  public record DumpSource(String group, String kind, String label, DumpLister dumps) {}

  /** Lists the dumps to take when the backup runs (the databases there are then). */
  @FunctionalInterface
  public interface DumpLister {
    List<Dump> list() throws IOException;
  }

  /**
   * What a run stored.
   *
   * @param reusedFiles files not read because their parent snapshot's entry still described them
   * @param parent the id of the parent snapshot, or null
   */
  public record Result(String snapshotId, long files, long bytes, long bytesWritten, List<String> skipped, long reusedFiles,
      String parent) {}

  public Backup(Repository repo, Progress progress) {
    this.repo = repo;
    this.progress = progress;
  }

  /** Reads every file, even those the parent snapshot describes (like restic's {@code --force}). */
  public Backup rereadAll(boolean yes) {
    this.rereadAll = yes;
    return this;
  }

  /** Backs up {@code sources} as one snapshot named {@code name}. */
  public Result run(String name, List<Source> sources) throws IOException {
    return run(name, sources, List.of());
  }

  /** Backs up {@code sources} and {@code dumps} as one snapshot named {@code name}. */
  public Result run(String name, List<Source> sources, List<DumpSource> dumps) throws IOException {
    try {
      return take(name, sources, dumps);
    } finally {
      sealers.shutdownNow();
    }
  }

  private Result take(String name, List<Source> sources, List<DumpSource> dumps) throws IOException {
    Repository.StoredSnapshot parent = rereadAll ? null : parent(name);
    progress.expect(parent == null ? 0 : parent.snapshot().bytes());
    List<Model.Source> stored = new ArrayList<>();
    for (DumpSource d : dumps) {
      stored.add(new Model.Source(d.group(), d.kind(), d.label(), dumps(d)));
    }
    List<CompletableFuture<String>> trees = new ArrayList<>();
    for (Source s : sources) {
      if (!Files.isDirectory(s.path(), LinkOption.NOFOLLOW_LINKS)) {
        throw new IOException(s.path() + " (group " + s.group() + ") is not a directory; nothing was backed up");
      }
      String parentTree = parent == null ? null : parent.snapshot().sources().stream()
          .filter(p -> p.group().equals(s.group()) && p.kind().equals(s.kind()) && p.path().equals(s.path().toString()))
          .map(Model.Source::tree).findFirst().orElse(null);
      trees.add(directory(s.path(), true, parentTree));
    }
    for (int i = 0; i < sources.size(); i++) {
      Source s = sources.get(i);
      stored.add(new Model.Source(s.group(), s.kind(), s.path().toString(), join(trees.get(i))));
    }
    Model.Snapshot snap = new Model.Snapshot(1, Instant.now().toString(), RepoLock.host(), name, stored, files, bytes);
    String id = repo.saveSnapshot(snap);
    return new Result(id, files, bytes, repo.bytesWritten(), List.copyOf(skipped), reused, parent == null ? null : parent.id());
  }

  /** The newest snapshot of backup {@code name}, or null. */
  private Repository.StoredSnapshot parent(String name) throws IOException {
    List<Repository.StoredSnapshot> all = repo.snapshots();
    for (int i = all.size() - 1; i >= 0; i--) {
      if (all.get(i).snapshot().backup().equals(name)) {
        return all.get(i);
      }
    }
    return null;
  }

  /** The entries of the parent's tree {@code id} by name; empty when there is none or it cannot be read. */
  private java.util.Map<String, Model.Node> parentEntries(String id) {
    java.util.Map<String, Model.Node> byName = new java.util.HashMap<>();
    if (id == null || !repo.has(id)) {
      return byName;
    }
    try {
      for (Model.Node n : repo.tree(id).nodes()) {
        byName.put(n.name(), n);
      }
    } catch (IOException e) {
      // A damaged parent only costs reading the files again.
    }
    return byName;
  }

  /** The parent's content for a file still described by {@code before}, or null when the file must be read. */
  private List<String> unchanged(Model.Node before, PosixFileAttributes a, long mtime, Object inode, Object ctime) {
    if (before == null || !"file".equals(before.type()) || before.content() == null || before.inode() == null
        || before.ctimeNanos() == null || before.size() != a.size() || before.mtimeNanos() != mtime
        || !before.inode().equals(inode) || !before.ctimeNanos().equals(ctime)) {
      return null;
    }
    for (String c : before.content()) {
      if (!repo.has(c)) {
        return null;
      }
    }
    return before.content();
  }

  /**
   * Stores directory {@code dir}: its files' chunks go to the sealers as they are read, and its tree
   * is stored once every entry under it is, on whichever thread finishes last, while the walk goes
   * on: a directory of small files does not wait for the sealers. The future holds the tree's id.
   */
  private CompletableFuture<String> directory(Path dir, boolean top, String parentTree) throws IOException {
    java.util.Map<String, Model.Node> before = parentEntries(parentTree);
    List<Path> children = new ArrayList<>();
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
      ds.forEach(children::add);
    }
    children.sort(null);
    List<CompletableFuture<Model.Node>> nodes = new ArrayList<>();
    for (Path child : children) {
      String name = child.getFileName().toString();
      if ((top && name.equals(".tandem-versions")) || name.startsWith(".tandem-tmp-")) {
        continue;
      }
      PosixFileAttributes a;
      try {
        a = Files.readAttributes(child, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
      } catch (java.nio.file.NoSuchFileException gone) {
        continue; // removed while we walked
      }
      int mode = mode(a.permissions());
      long mtime = a.lastModifiedTime().to(TimeUnit.NANOSECONDS);
      if (a.isDirectory()) {
        Model.Node b = before.get(name);
        String sub = b != null && "dir".equals(b.type()) ? b.subtree() : null;
        nodes.add(directory(child, false, sub).thenApply(tree -> new Model.Node(name, "dir", mode, mtime, 0, null, null, tree)));
      } else if (a.isSymbolicLink()) {
        nodes.add(CompletableFuture.completedFuture(
            new Model.Node(name, "symlink", mode, mtime, 0, Files.readSymbolicLink(child).toString(), null, null)));
      } else if (a.isRegularFile()) {
        try {
          java.util.Map<String, Object> unix = Files.readAttributes(child, "unix:ino,ctime", LinkOption.NOFOLLOW_LINKS);
          Long inode = ((Number) unix.get("ino")).longValue();
          Long ctime = ((java.nio.file.attribute.FileTime) unix.get("ctime")).to(TimeUnit.NANOSECONDS);
          List<String> reuse = unchanged(before.get(name), a, mtime, inode, ctime);
          long size = a.size();
          CompletableFuture<List<String>> content;
          if (reuse != null) {
            reused++;
            content = CompletableFuture.completedFuture(reuse);
          } else {
            content = file(child);
          }
          nodes.add(content.thenApply(ids -> new Model.Node(name, "file", mode, mtime, size, null, ids, null, inode, ctime)));
          files++;
          bytes += size;
          progress.file(child, size);
        } catch (java.nio.file.NoSuchFileException gone) {
          // removed while we walked
        } catch (java.nio.file.AccessDeniedException denied) {
          skipped.add(child + ": permission denied");
        }
      } else {
        skipped.add(child + ": not a regular file, directory or link");
      }
    }
    return CompletableFuture.allOf(nodes.toArray(CompletableFuture[]::new)).thenApply(done -> {
      try {
        return repo.put(Repository.TREE, Repository.JSON.writeValueAsBytes(new Model.Tree(nodes.stream().map(CompletableFuture::join).toList())));
      } catch (IOException e) {
        throw new java.util.concurrent.CompletionException(e);
      }
    });
  }

  /** Takes every dump of a database resource into one tree; a dump that fails fails the backup. */
  private String dumps(DumpSource d) throws IOException {
    List<Model.Node> nodes = new ArrayList<>();
    for (Dump dump : d.dumps().list()) {
      Process p = dump.start().start();
      StringBuilder err = new StringBuilder();
      Thread drain = Thread.ofPlatform().daemon().name("backup-dump-stderr").start(() -> {
        try {
          err.append(new String(p.getErrorStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8));
        } catch (IOException e) {
          err.append(e);
        }
      });
      List<String> content;
      long[] size = {0};
      try (var in = java.nio.channels.Channels.newChannel(p.getInputStream())) {
        content = join(stream(in, size));
      } finally {
        try {
          if (!p.waitFor(10, TimeUnit.MINUTES)) {
            p.destroyForcibly();
          }
          drain.join(10_000);
        } catch (InterruptedException e) {
          p.destroyForcibly();
          Thread.currentThread().interrupt();
          throw new java.io.InterruptedIOException("interrupted while dumping " + dump.name());
        }
      }
      if (p.exitValue() != 0) {
        throw new IOException("dumping " + dump.name() + " of " + d.group() + " failed (exit " + p.exitValue() + "): "
            + err.toString().strip() + "; no snapshot was written");
      }
      nodes.add(new Model.Node(dump.name(), "file", 0600, System.currentTimeMillis() * 1_000_000L, size[0], null, content, null));
      files++;
      bytes += size[0];
      progress.file(Path.of(dump.name()), size[0]);
    }
    return repo.put(Repository.TREE, Repository.JSON.writeValueAsBytes(new Model.Tree(nodes)));
  }

  /**
   * The ids of a file's chunks, storing the ones the repository lacks. The file is read once, on
   * this thread; hashing, compressing, sealing and adding to the pack run on {@link #SEALERS}
   * threads, at most {@link #AHEAD} chunks behind the reading, across files.
   */
  private CompletableFuture<List<String>> file(Path file) throws IOException {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS)) {
      return stream(ch, new long[1]);
    }
  }

  /** The ids of the chunks of a stream, storing those the repository lacks; adds the stream's length to {@code size[0]}. */
  private CompletableFuture<List<String>> stream(java.nio.channels.ReadableByteChannel in, long[] size) throws IOException {
    List<CompletableFuture<String>> ids = new ArrayList<>();
    size[0] += Chunker.chunkBytes(in, (offset, buf, start, length) -> {
      if (failed != null) {
        throw failed instanceof IOException io ? io : new IOException("sealing a chunk failed: " + failed, failed);
      }
      try {
        ahead.acquire();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new java.io.InterruptedIOException("interrupted while reading files to back up");
      }
      byte[] chunk = buffers.poll();
      if (chunk == null) {
        chunk = new byte[Chunker.MAX_SIZE];
      }
      System.arraycopy(buf, start, chunk, 0, length);
      byte[] taken = chunk;
      ids.add(CompletableFuture.supplyAsync(() -> {
        try {
          return repo.add(repo.seal(Repository.DATA, taken, 0, length));
        } catch (IOException | RuntimeException e) {
          if (failed == null) {
            failed = e;
          }
          throw new java.util.concurrent.CompletionException(e);
        } finally {
          buffers.add(taken);
          ahead.release();
        }
      }, sealers));
    });
    return CompletableFuture.allOf(ids.toArray(CompletableFuture[]::new)).thenApply(done -> ids.stream().map(CompletableFuture::join).toList());
  }

  /** The value of a finished step of the backup, or the exception that failed it. */
  private static <T> T join(CompletableFuture<T> f) throws IOException {
    try {
      return f.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new java.io.InterruptedIOException("interrupted while sealing chunks");
    } catch (ExecutionException e) {
      Throwable c = e.getCause();
      while (c instanceof java.util.concurrent.CompletionException && c.getCause() != null) {
        c = c.getCause();
      }
      throw c instanceof IOException io ? io : new IOException("sealing a chunk failed: " + c, c);
    }
  }

  static int mode(Set<PosixFilePermission> perms) {
    int m = 0;
    for (PosixFilePermission p : perms) {
      m |= 1 << (8 - p.ordinal());
    }
    return m;
  }
}
