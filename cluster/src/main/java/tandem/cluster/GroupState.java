package tandem.cluster;

import java.util.Map;

/**
 * The cluster's record of one group: its definition, who is primary under which epoch, the lease
 * renewal counter, pause flag and a pending planned switchover.
 *
 * @param name the group's name
 * @param modes node name to mode word ("primary", "active", "passive", "off")
 * @param failback "manual" or "auto"
 * @param failbackAfterMillis how long the preferred node must be healthy before automatic failback
 * @param definedBy the node whose tandem.yaml last defined the group
 * @param definitionHash a hash of that definition, to notice nodes whose file differs
 * @param primary the primary's name, or null when the group has none
 * @param epoch the fencing token; grows at every change of primary
 * @param renewals how many lease renewals the current primary made; a promotion must name the
 *     count it saw, so a renewal that lands between a decision and its commit cancels it
 * @param paused true while automatic failover is off (maintenance)
 * @param switchoverTo the target of a planned switchover in progress, or null
 * @param lastChange a sentence about the last change of primary, with its reason
 * @param lastChangeMillis when that happened
 * @param decision the Raft leader's last decision sentence about the group (replicated when its kind or, for "stay",
 *     its words change), so that `status` shows it on every node; null before the first
 * @param decidedBy the leader that made it
 * @param decidedAtMillis when
 * @param differing nodes whose tandem.yaml defines the group differently from this definition, each with the keys
 *     that differ (what `status` shows); empty when every file agrees
 */
public record GroupState(
    String name,
    Map<String, String> modes,
    String failback,
    long failbackAfterMillis,
    String definedBy,
    String definitionHash,
    String primary,
    long epoch,
    long renewals,
    boolean paused,
    String switchoverTo,
    String lastChange,
    long lastChangeMillis,
    String decision,
    String decidedBy,
    long decidedAtMillis,
    Map<String, String> differing) {

  public GroupState {
    modes = Map.copyOf(modes);
    differing = differing == null ? Map.of() : Map.copyOf(differing);
  }

  /** The mode word of a node, "off" when not listed. */
  public String modeOf(String node) {
    return modes.getOrDefault(node, "off");
  }

  public boolean hasPrimary() {
    return primary != null;
  }

  GroupState withPrimary(String node, long newEpoch, String why, long atMillis) {
    return new GroupState(name, modes, failback, failbackAfterMillis, definedBy, definitionHash,
        node, newEpoch, 0, paused, null, why, atMillis, decision, decidedBy, decidedAtMillis, differing);
  }

  GroupState withRenewal() {
    return new GroupState(name, modes, failback, failbackAfterMillis, definedBy, definitionHash,
        primary, epoch, renewals + 1, paused, switchoverTo, lastChange, lastChangeMillis, decision, decidedBy,
        decidedAtMillis, differing);
  }

  GroupState withPaused(boolean p) {
    return new GroupState(name, modes, failback, failbackAfterMillis, definedBy, definitionHash,
        primary, epoch, renewals, p, switchoverTo, lastChange, lastChangeMillis, decision, decidedBy, decidedAtMillis, differing);
  }

  GroupState withSwitchoverTo(String target) {
    return new GroupState(name, modes, failback, failbackAfterMillis, definedBy, definitionHash,
        primary, epoch, renewals, paused, target, lastChange, lastChangeMillis, decision, decidedBy, decidedAtMillis, differing);
  }

  GroupState withDefinition(Map<String, String> m, String fb, long fbAfter, String by, String hash) {
    return new GroupState(name, m, fb, fbAfter, by, hash,
        primary, epoch, renewals, paused, switchoverTo, lastChange, lastChangeMillis, decision, decidedBy, decidedAtMillis, differing);
  }

  /** With {@code node}'s file difference noted ({@code differences} empty: its file agrees). */
  GroupState withDiffering(String node, String differences) {
    var d = new java.util.TreeMap<>(differing);
    if (differences.isEmpty()) {
      d.remove(node);
    } else {
      d.put(node, differences);
    }
    return new GroupState(name, modes, failback, failbackAfterMillis, definedBy, definitionHash,
        primary, epoch, renewals, paused, switchoverTo, lastChange, lastChangeMillis, decision, decidedBy, decidedAtMillis, d);
  }

  GroupState withDecision(String sentence, String by, long atMillis) {
    return new GroupState(name, modes, failback, failbackAfterMillis, definedBy, definitionHash,
        primary, epoch, renewals, paused, switchoverTo, lastChange, lastChangeMillis, sentence, by, atMillis, differing);
  }
}
