package tandem.core;

import java.util.regex.Pattern;

/**
 * A node's identity: the SHA-256 of its certificate (DER), in lower-case base32 without padding
 * (52 characters). Peers are pinned by it, like Syncthing's device IDs. {@link #shortForm()} is
 * what humans compare.
 */
public record NodeId(String value) {
  private static final Pattern VALID = Pattern.compile("[a-z2-7]{52}");

  public NodeId {
    if (value == null || !VALID.matcher(value).matches()) {
      throw new IllegalArgumentException("node ID '" + value + "' is not valid: expected 52 base32 characters");
    }
  }

  /** The first 12 characters in groups of four, e.g. "abcd-efgh-ijkl". */
  public String shortForm() {
    return value.substring(0, 4) + "-" + value.substring(4, 8) + "-" + value.substring(8, 12);
  }

  @Override
  public String toString() {
    return value;
  }
}
