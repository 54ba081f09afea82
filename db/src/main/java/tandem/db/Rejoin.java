package tandem.db;

import java.nio.file.Path;
import java.util.Optional;

/**
 * What {@link DatabaseEngine#rejoin} did with this node's old data.
 *
 * @param how followed (nothing to undo), rewound, or cloned afresh
 * @param keptCopy where the old data was kept, when it was (rewound or cloned)
 * @param lost the changes this node had that the new primary never got; empty when none
 * @param detail one sentence for the event
 */
public record Rejoin(How how, Optional<Path> keptCopy, Optional<LostRange> lost, String detail) {
  /** How the node rejoined. */
  public enum How {
    /** The data was on the new primary's history: it streams on from where it was. */
    FOLLOWED,
    /** The data had diverged; a rewind cut it back to the point of divergence. */
    REWOUND,
    /** The data could not be rewound (or there was none); a fresh copy was made. */
    CLONED
  }

  /**
   * The changes written on this node after the histories diverged.
   *
   * @param from the position where the histories diverged
   * @param to this node's last position
   * @param timeline the timeline this node wrote them on
   */
  public record LostRange(long from, long to, long timeline) {
    public long bytes() {
      return Math.max(0, to - from);
    }
  }
}
