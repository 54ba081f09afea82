package tandem.failover;

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
 * @param lagBytes how far that is behind the primary's last reported position; -1 when unknown
 * @param maxLag the most lag with which it may be promoted automatically; 0 for no limit
 */
public record Candidate(String name, Mode mode, boolean alive, boolean reported, boolean passing, int weight,
    java.time.Duration healthyFor, long position, long lagBytes, long maxLag) {

  /** A candidate of a group without a database. */
  public Candidate(String name, Mode mode, boolean alive, boolean reported, boolean passing, int weight,
      java.time.Duration healthyFor) {
    this(name, mode, alive, reported, passing, weight, healthyFor, -1, -1, 0);
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
      return name + " is " + lagBytes + " bytes of WAL behind the old primary (max-lag-on-failover " + maxLag
          + "): promoting it would lose them; fail over by hand if you accept that";
    }
    return null;
  }
}
