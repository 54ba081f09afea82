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
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import tandem.filesync.Chunker;

/**
 * Takes one snapshot: walks each source directory (never following a symlink), cuts every file
 * into content-defined chunks with the same chunker as file replication, stores the chunks and the
 * directory trees the repository does not have yet, and writes the snapshot last. tandem's own
 * names ({@code .tandem-versions} at the top, {@code .tandem-tmp-*} anywhere) are left out.
 */
public final class Backup {
  private final Repository repo;
  private final Progress progress;
  private long files;
  private long bytes;
  private final List<String> skipped = new ArrayList<>();
  /** Threads that hash, compress and seal chunks (zstd is the slow part, about 400 MB/s a core). */
  static final int SEALERS = Math.max(2, Runtime.getRuntime().availableProcessors());
  private static final int AHEAD = 4 * SEALERS;
  private final ExecutorService sealers = Executors.newFixedThreadPool(SEALERS, Thread.ofPlatform().daemon().name("backup-seal-", 0).factory());

  /** Told about each file stored, for a progress line. */
  public interface Progress {
    void file(Path path, long size);

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

  /** What a run stored. */
  public record Result(String snapshotId, long files, long bytes, long bytesWritten, List<String> skipped) {}

  public Backup(Repository repo, Progress progress) {
    this.repo = repo;
    this.progress = progress;
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
    List<Model.Source> stored = new ArrayList<>();
    for (DumpSource d : dumps) {
      stored.add(new Model.Source(d.group(), d.kind(), d.label(), dumps(d)));
    }
    for (Source s : sources) {
      if (!Files.isDirectory(s.path(), LinkOption.NOFOLLOW_LINKS)) {
        throw new IOException(s.path() + " (group " + s.group() + ") is not a directory; nothing was backed up");
      }
      stored.add(new Model.Source(s.group(), s.kind(), s.path().toString(), directory(s.path(), true)));
    }
    Model.Snapshot snap = new Model.Snapshot(1, Instant.now().toString(), RepoLock.host(), name, stored, files, bytes);
    String id = repo.saveSnapshot(snap);
    return new Result(id, files, bytes, repo.bytesWritten(), List.copyOf(skipped));
  }

  private String directory(Path dir, boolean top) throws IOException {
    List<Path> children = new ArrayList<>();
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
      ds.forEach(children::add);
    }
    children.sort(null);
    List<Model.Node> nodes = new ArrayList<>();
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
        nodes.add(new Model.Node(name, "dir", mode, mtime, 0, null, null, directory(child, false)));
      } else if (a.isSymbolicLink()) {
        nodes.add(new Model.Node(name, "symlink", mode, mtime, 0, Files.readSymbolicLink(child).toString(), null, null));
      } else if (a.isRegularFile()) {
        try {
          List<String> content = file(child);
          long size = a.size();
          nodes.add(new Model.Node(name, "file", mode, mtime, size, null, content, null));
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
    return repo.put(Repository.TREE, Repository.JSON.writeValueAsBytes(new Model.Tree(nodes)));
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
        content = stream(in, size);
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
   * The ids of a file's chunks, storing the ones the repository lacks. The file is read once;
   * hashing, compressing and sealing run on {@link #SEALERS} threads, a few chunks ahead, and the
   * sealed chunks are added to the pack in file order.
   */
  private List<String> file(Path file) throws IOException {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS)) {
      return stream(ch, new long[1]);
    }
  }

  /** The ids of the chunks of a stream, storing those the repository lacks; adds the stream's length to {@code size[0]}. */
  private List<String> stream(java.nio.channels.ReadableByteChannel in, long[] size) throws IOException {
    List<String> ids = new ArrayList<>();
    ArrayDeque<Future<Repository.Sealed>> ahead = new ArrayDeque<>();
    try {
      size[0] += Chunker.chunkBytes(in, (offset, buf, start, length) -> {
        byte[] chunk = java.util.Arrays.copyOfRange(buf, start, start + length);
        ahead.add(sealers.submit(() -> repo.seal(Repository.DATA, chunk, 0, chunk.length)));
        while (ahead.size() > AHEAD) {
          ids.add(repo.add(take(ahead.poll())));
        }
      });
      while (!ahead.isEmpty()) {
        ids.add(repo.add(take(ahead.poll())));
      }
      return ids;
    } finally {
      ahead.forEach(f -> f.cancel(true));
    }
  }

  private static Repository.Sealed take(Future<Repository.Sealed> f) throws IOException {
    try {
      return f.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new java.io.InterruptedIOException("interrupted while sealing chunks");
    } catch (ExecutionException e) {
      throw e.getCause() instanceof IOException io ? io : new IOException("sealing a chunk failed: " + e.getCause(), e.getCause());
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
