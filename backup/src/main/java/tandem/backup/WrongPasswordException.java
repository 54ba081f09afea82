package tandem.backup;

import java.io.IOException;

/** The password opens none of the repository's key files. */
public final class WrongPasswordException extends IOException {
  public WrongPasswordException() {
    super("the password does not open this repository's keys; check password-file (a repository keeps the password"
        + " it was created with)");
  }
}
