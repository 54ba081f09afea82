package tandem.backup;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * Restores a snapshot, or one path in it, into a target directory that is new or empty. Every
 * file is written under a temporary name and renamed when complete; every name read from the
 * repository is checked to be one path segment, so a tampered tree cannot write outside the target.
 */
public final class Restore {
  private final Repository repo;
  private long files;
  private long bytes;

  public Restore(Repository repo) {
    this.repo = repo;
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
          restoreNode(n, dest.resolve(checked(n.name())));
          return true;
        }
        return n.subtree() != null && restoreUnder(n.subtree(), rest.subList(1, rest.size()), dest);
      }
    }
    return false;
  }

  private void restoreTree(String treeId, Path dir) throws IOException {
    for (Model.Node n : repo.tree(treeId).nodes()) {
      restoreNode(n, dir.resolve(checked(n.name())));
    }
  }

  void restoreNode(Model.Node n, Path p) throws IOException {
    switch (n.type()) {
      case "dir" -> {
        Files.createDirectories(p);
        restoreTree(n.subtree(), p);
        finish(p, n);
      }
      case "symlink" -> Files.createSymbolicLink(p, p.getFileSystem().getPath(n.target()));
      case "file" -> {
        Path tmp = p.resolveSibling(".restore-tmp-" + p.getFileName());
        try (var out = Files.newOutputStream(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
          for (String id : n.content()) {
            out.write(repo.get(id));
          }
        } catch (IOException e) {
          Files.deleteIfExists(tmp);
          throw e;
        }
        if (Files.size(tmp) != n.size()) {
          Files.deleteIfExists(tmp);
          throw new CorruptException(p + ": its chunks add up to " + Files.size(tmp) + " bytes, the snapshot says " + n.size());
        }
        finish(tmp, n);
        Files.move(tmp, p, StandardCopyOption.ATOMIC_MOVE);
        files++;
        bytes += n.size();
      }
      default -> throw new CorruptException(p + ": unknown entry type " + n.type());
    }
  }

  private static void finish(Path p, Model.Node n) throws IOException {
    Files.setPosixFilePermissions(p, permissions(n.mode() & 0777));
    Files.setLastModifiedTime(p, FileTime.from(n.mtimeNanos(), TimeUnit.NANOSECONDS));
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
