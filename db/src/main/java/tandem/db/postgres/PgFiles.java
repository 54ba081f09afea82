package tandem.db.postgres;

import java.io.IOException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipalLookupService;

/** Files PostgreSQL reads: owned by the server's user, private (it refuses a key or data dir others can read). */
final class PgFiles {
  private final String user;

  PgFiles(String user) {
    this.user = user;
  }

  /** Creates {@code dir} if needed, owned by the server's user, mode 0700. */
  void privateDir(Path dir) throws IOException {
    Files.createDirectories(dir);
    own(dir, "rwx------");
  }

  /** Writes {@code text} to {@code file}, owned by the server's user, mode 0600. */
  void privateFile(Path file, String text) throws IOException {
    Path tmp = file.resolveSibling("." + file.getFileName() + ".tmp");
    Files.deleteIfExists(tmp);
    Files.createFile(tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    Files.writeString(tmp, text, StandardOpenOption.TRUNCATE_EXISTING);
    own(tmp, "rw-------");
    Files.move(tmp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
  }

  void own(Path p, String mode) throws IOException {
    PosixFileAttributeView v = Files.getFileAttributeView(p, PosixFileAttributeView.class, LinkOption.NOFOLLOW_LINKS);
    if (!user.equals(System.getProperty("user.name"))) {
      UserPrincipalLookupService users = FileSystems.getDefault().getUserPrincipalLookupService();
      v.setOwner(users.lookupPrincipalByName(user));
      try {
        v.setGroup(users.lookupPrincipalByGroupName(user));
      } catch (IOException noSuchGroup) {
        // The owner is what PostgreSQL checks.
      }
    }
    v.setPermissions(PosixFilePermissions.fromString(mode));
  }
}
