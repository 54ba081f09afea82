package tandem.filesync;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.LocalDateTime;

/**
 * Moves what is at a path out of the way before something else takes its place: as a conflict
 * copy beside it (a local change) or as a version under {@code .tandem-versions/} (a clean replace
 * with versions on). Never deletes, never overwrites an existing name.
 *
 * <p>A file or link that is about to be renamed over is hard-linked to its new name instead of
 * moved, so a reader of the path sees the old content until the rename shows the new one, never
 * "no such file". A directory cannot be hard-linked; it is renamed, and the path is briefly empty.
 */
final class Keeper {
  private final SafeTree tree;
  private final ApplierOptions options;

  Keeper(SafeTree tree, ApplierOptions options) {
    this.tree = tree;
    this.options = options;
  }

  /** Keeps {@code p} (lstat {@code st}) beside itself under a conflict name; returns the new path. */
  Path conflictCopy(Path p, Lstat st, boolean byLink) throws IOException {
    LocalDateTime now = LocalDateTime.now(options.clock());
    String name = p.getFileName().toString();
    for (int attempt = 0; ; attempt++) {
      Path copy = p.resolveSibling(SideNames.conflict(name, now, options.node(), st.is(Kind.DIR), attempt));
      if (Lstat.of(copy) == null && place(p, st, copy, byLink)) {
        return copy;
      }
    }
  }

  /** Keeps {@code p} as {@code .tandem-versions/<rel>~<time>}; returns the version's path. */
  Path version(String rel, Path p, Lstat st, boolean byLink) throws IOException {
    LocalDateTime now = LocalDateTime.now(options.clock());
    for (int attempt = 0; ; attempt++) {
      String versionRel = RelPath.VERSIONS_DIR + "/" + parentOf(rel) + SideNames.version(p.getFileName().toString(), now, attempt);
      Path version;
      try {
        version = tree.prepareChecked(versionRel);
      } catch (HostilePathException e) {
        throw new IOException("cannot keep a version of " + RelPath.quote(rel) + ": " + e.getMessage()
            + "; move the link or file at " + tree.root().resolve(RelPath.VERSIONS_DIR) + " away", e);
      }
      if (Lstat.of(version) == null && place(p, st, version, byLink)) {
        return version;
      }
    }
  }

  /** Links (or renames) {@code p} to {@code to}; false when {@code to} was taken meanwhile. */
  private static boolean place(Path p, Lstat st, Path to, boolean byLink) throws IOException {
    if (st.is(Kind.DIR)) {
      // rename(2) of a dir onto an existing empty dir would replace it; we checked it was free just before.
      Files.move(p, to, StandardCopyOption.ATOMIC_MOVE);
      return true;
    }
    try {
      Files.createLink(to, p); // link(2) never overwrites, and does not follow a symlink at p
    } catch (FileAlreadyExistsException taken) {
      return false;
    } catch (IOException | UnsupportedOperationException noHardLinks) {
      // Some filesystems refuse hard links; a rename still keeps the data, with a brief gap at p.
      Files.move(p, to, StandardCopyOption.ATOMIC_MOVE);
      return true;
    }
    if (!byLink) {
      Files.delete(p);
    }
    return true;
  }

  private static String parentOf(String rel) {
    int slash = rel.lastIndexOf('/');
    return slash < 0 ? "" : rel.substring(0, slash + 1);
  }
}
