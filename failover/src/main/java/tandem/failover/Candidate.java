package tandem.failover;

import java.time.Duration;
import tandem.core.Durations;
import tandem.core.Mode;

/**
 * One data node as the leader sees it when choosing a primary.
 *
 * @param name the node
 * @param mode its mode for the group
 * @param alive true when the leader heard from it recently (or it is the leader)
 * @param reported true when it sent a health report for the group
 * @param passing true when no critical check fails there
 * @param weight the check weights in force (keepalived semantics)
 * @param healthyFor how long it has been alive and passing without interruption
 * @param position how far its database has received the primary's changes (a WAL LSN); -1 when
 *     unknown or the group has no database
 * @param lagBytes how far that is behind the primary's last reported position, in {@code lagUnit};
 *     -1 when unknown
 * @param maxLag the most lag (in {@code lagUnit}) with which it may be promoted automatically; 0 for no limit
 * @param lagUnit what a position counts: "bytes of WAL", "transactions"
 * @param lagMillis the age, at the primary's last report, of the oldest write the primary had
 *     reported and it lacked (0: it has all of it); {@link #NEVER_CAUGHT_UP}; -1 when unknown or
 *     not watched
 * @param maxLagMillis the most {@code lagMillis} with which it may be promoted automatically; 0 for no limit
 */
public record Candidate(String name, Mode mode, boolean alive, boolean reported, boolean passing, int weight,
    java.time.Duration healthyFor, long position, long lagBytes, long maxLag, String lagUnit, long lagMillis,
    long maxLagMillis) {
  /** {@code lagMillis} of a node not seen with everything the primary had reported since its agent started. */
  public static final long NEVER_CAUGHT_UP = Long.MAX_VALUE;

  /** A candidate whose lag is limited in WAL bytes only (PostgreSQL). */
  public Candidate(String name, Mode mode, boolean alive, boolean reported, boolean passing, int weight,
      java.time.Duration healthyFor, long position, long lagBytes, long maxLag) {
    this(name, mode, alive, reported, passing, weight, healthyFor, position, lagBytes, maxLag, "bytes of WAL", -1, 0);
  }

  /** A candidate of a group without a database. */
  public Candidate(String name, Mode mode, boolean alive, boolean reported, boolean passing, int weight,
      java.time.Duration healthyFor) {
    this(name, mode, alive, reported, passing, weight, healthyFor, -1, -1, 0, "bytes of WAL", -1, 0);
  }

  /** Base priority by mode, plus weights: the preferred node first, then running replicas. */
  public int score() {
    int base = switch (mode) {
      case PRIMARY -> 100;
      case ACTIVE -> 90;
      case PASSIVE -> 80;
      case OFF -> 0;
    };
    return base + weight;
  }

  /** Why this node cannot take over, or null when it can. */
  public String unfitReason() {
    if (!mode.eligible()) {
      return name + " has mode off";
    }
    if (!alive) {
      return name + " is unreachable";
    }
    if (!reported) {
      return name + " has not reported its health yet";
    }
    if (!passing) {
      return name + " fails a critical check";
    }
    if (maxLag > 0 && lagBytes > maxLag) {
      return name + " is " + lagBytes + " " + lagUnit + " behind the old primary (max-lag-on-failover " + maxLag
          + "): promoting it would lose them; fail over by hand if you accept that";
    }
    // Only facts from while the old primary reported: a dead primary's lag stops growing.
    if (maxLagMillis > 0 && lagMillis == NEVER_CAUGHT_UP) {
      return name + " never had all the old primary had reported (max-lag-on-failover "
          + Durations.format(Duration.ofMillis(maxLagMillis)) + "): promoting it may lose any amount; fail over by hand"
          + " if you accept that";
    }
    if (maxLagMillis > 0 && lagMillis > maxLagMillis) {
      return name + " was " + Durations.format(Duration.ofMillis(lagMillis)) + " behind the old primary at its last report"
          + " (max-lag-on-failover " + Durations.format(Duration.ofMillis(maxLagMillis)) + "): promoting it would lose"
          + " the writes of that time; fail over by hand if you accept that";
    }
    return null;
  }
}
