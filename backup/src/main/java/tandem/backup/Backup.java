package tandem.backup;

import java.io.IOException;
import java.nio.ByteBuffer;
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

  /** Told about each file stored, for a progress line. */
  public interface Progress {
    void file(Path path, long size);

    Progress NONE = (p, s) -> {};
  }

  /** A directory to back up, with the group and resource it belongs to. */
  public record Source(String group, String kind, Path path) {}

  /** What a run stored. */
  public record Result(String snapshotId, long files, long bytes, long bytesWritten, List<String> skipped) {}

  public Backup(Repository repo, Progress progress) {
    this.repo = repo;
    this.progress = progress;
  }

  /** Backs up {@code sources} as one snapshot named {@code name}. */
  public Result run(String name, List<Source> sources) throws IOException {
    List<Model.Source> stored = new ArrayList<>();
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

  /** The ids of a file's chunks, storing the ones the repository lacks. */
  private List<String> file(Path file) throws IOException {
    List<long[]> cuts = new ArrayList<>();
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS)) {
      Chunker.chunk(ch, (offset, length, hash) -> cuts.add(new long[] {offset, length}));
      List<String> ids = new ArrayList<>(cuts.size());
      byte[] buf = new byte[Chunker.MAX_SIZE];
      for (long[] c : cuts) {
        ByteBuffer b = ByteBuffer.wrap(buf, 0, (int) c[1]);
        while (b.hasRemaining() && ch.read(b, c[0] + b.position()) >= 0) {
          // until the chunk is read (a file that shrank meanwhile gives a short last chunk)
        }
        ids.add(repo.put(Repository.DATA, buf, 0, b.position()));
      }
      return ids;
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
