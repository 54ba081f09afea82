package tandem.core;

import java.util.Locale;

/** What a node does for one group, as the operator configured it. */
public enum Mode {
  /** Eligible and preferred: the group runs here when this node is healthy (and failback allows). */
  PRIMARY,
  /** Data synced and the service running read-only; eligible for promotion. */
  ACTIVE,
  /** Data synced, the service stopped (cold standby); eligible for promotion. */
  PASSIVE,
  /** Nothing of the group runs here; never promoted. */
  OFF;

  /** True when a node in this mode may be promoted to primary. */
  public boolean eligible() {
    return this != OFF;
  }

  /** The name used in tandem.yaml and in output. */
  public String word() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** Parses a yaml word ("primary", "active"...); null when it is not one. */
  public static Mode parse(String word) {
    for (Mode m : values()) {
      if (m.word().equals(word)) {
        return m;
      }
    }
    return null;
  }
}
