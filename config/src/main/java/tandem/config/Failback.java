package tandem.config;

import java.util.Locale;

/** What a group does when its preferred (primary-mode) node is healthy again after a failover. */
public enum Failback {
  /** Stay where the group runs now; an operator moves it back with a switchover. */
  MANUAL,
  /** Move back to the preferred node once it has been healthy for {@code failback-after}. */
  AUTO;

  /** The name used in tandem.yaml: "manual" or "auto". */
  public String word() {
    return name().toLowerCase(Locale.ROOT);
  }
}
