package tandem.backup;

import java.io.IOException;

/** Something read from the repository is damaged, truncated, or not what it claims to be. */
public final class CorruptException extends IOException {
  public CorruptException(String message) {
    super(message);
  }
}
