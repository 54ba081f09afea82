package tandem.core;

import java.util.Locale;

/** What a node currently is for one group, as the cluster decided it. */
public enum Role {
  /** Holds the group's lease: its resources run here and accept writes. */
  PRIMARY,
  /** Follows the primary; may take over when the primary is lost. */
  REPLICA,
  /** Not part of the group on this node (mode off, or a witness). */
  NONE;

  /** The lower-case word used in hooks (TANDEM_ROLE) and output. */
  public String word() {
    return name().toLowerCase(Locale.ROOT);
  }
}
