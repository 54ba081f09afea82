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
 */
public record Candidate(String name, Mode mode, boolean alive, boolean reported, boolean passing, int weight,
    java.time.Duration healthyFor) {

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
    return null;
  }
}
