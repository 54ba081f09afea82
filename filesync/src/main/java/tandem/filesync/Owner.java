package tandem.filesync;

import java.io.IOException;
import java.nio.file.FileSystem;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.UserPrincipal;
import java.nio.file.attribute.UserPrincipalLookupService;
import java.nio.file.attribute.UserPrincipalNotFoundException;

/** The user and group that every file, directory and link the applier creates is given. */
public record Owner(UserPrincipal user, GroupPrincipal group) {
  /**
   * Resolves {@code "user:group"} (names, as in chown) once, at start, so a typo stops tandem
   * instead of failing every file later.
   */
  public static Owner lookup(String spec, FileSystem fs) throws IOException {
    int colon = spec.indexOf(':');
    if (colon <= 0 || colon == spec.length() - 1) {
      throw new IllegalArgumentException("owner '" + spec + "' is not valid: write it as user:group, e.g. www-data:www-data");
    }
    UserPrincipalLookupService names = fs.getUserPrincipalLookupService();
    String user = spec.substring(0, colon);
    String group = spec.substring(colon + 1);
    UserPrincipal u;
    try {
      u = names.lookupPrincipalByName(user);
    } catch (UserPrincipalNotFoundException e) {
      throw new IllegalArgumentException("owner '" + spec + "': no user named '" + user + "' on this node; create it or fix the owner setting", e);
    }
    try {
      return new Owner(u, names.lookupPrincipalByGroupName(group));
    } catch (UserPrincipalNotFoundException e) {
      throw new IllegalArgumentException("owner '" + spec + "': no group named '" + group + "' on this node; create it or fix the owner setting", e);
    }
  }

  /** chown without following a link (lchown), so a link is given the owner, not its target. */
  void applyTo(Path p) throws IOException {
    PosixFileAttributeView view = Files.getFileAttributeView(p, PosixFileAttributeView.class, LinkOption.NOFOLLOW_LINKS);
    view.setOwner(user);
    view.setGroup(group);
  }
}
