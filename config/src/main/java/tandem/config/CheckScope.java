package tandem.config;

import java.util.Locale;

/** Where a health check runs. */
public enum CheckScope {
  /** Runs where the group's service runs: the primary and the active nodes. A failure counts against that node. */
  SERVICE,
  /** Runs on every node of the group, whatever its role, e.g. a disk or network check that gates promotion. */
  NODE;

  /** The name used in tandem.yaml: "service" or "node". */
  public String word() {
    return name().toLowerCase(Locale.ROOT);
  }
}
