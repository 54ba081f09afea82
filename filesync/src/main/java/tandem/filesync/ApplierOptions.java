package tandem.filesync;

import java.time.Clock;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import tandem.core.EventSink;
import tandem.core.NodeName;

/**
 * How an {@link Applier} behaves on this node. Start from {@link #of(String)} and change what
 * differs with the {@code with*} methods.
 *
 * @param node this node's name, put in conflict copies' names and in events
 * @param group the group the replicated directory belongs to, for events ("" if none)
 * @param keepVersions how long replaced and deleted files are kept under {@code .tandem-versions/};
 *     empty means they are not kept
 * @param owner the user and group given to everything created; empty keeps the agent's own
 * @param dirMode the mode of directories created as missing parents (an entry's own mode wins)
 * @param clock wall clock for conflict and version names and version expiry; its zone is the
 *     zone of the timestamps in those names
 * @param events where {@code file-conflict} and {@code hostile-path} events go
 * @param fsyncThreads how many threads fsync at once in {@link Applier#applyAll}: concurrent
 *     fsyncs share one journal commit on ext4/xfs, which is where the batch speed comes from
 */
public record ApplierOptions(String node, String group, Optional<Duration> keepVersions, Optional<Owner> owner,
    int dirMode, Clock clock, EventSink events, int fsyncThreads) {
  public ApplierOptions {
    if (!NodeName.isValid(node)) {
      throw new IllegalArgumentException("node name '" + node + "' is not valid: use 1-63 lower-case letters, digits or '-'");
    }
    Objects.requireNonNull(group, "group");
    keepVersions.ifPresent(d -> {
      if (d.isNegative() || d.isZero()) {
        throw new IllegalArgumentException("keepVersions " + d + " must be positive; leave it empty to keep no versions");
      }
    });
    if ((dirMode & ~07777) != 0) {
      throw new IllegalArgumentException("dirMode 0" + Integer.toOctalString(dirMode) + " is not a permission mode (07777 at most)");
    }
    if (fsyncThreads < 1 || fsyncThreads > 256) {
      throw new IllegalArgumentException("fsyncThreads " + fsyncThreads + " must be in 1..256");
    }
  }

  /** Defaults: no versions, no owner change, dirs 0755, system clock in the local zone, no events, 8 threads writing (and fsyncing) files in a batch. */
  public static ApplierOptions of(String node) {
    return new ApplierOptions(node, "", Optional.empty(), Optional.empty(), 0755, Clock.systemDefaultZone(), EventSink.NONE, 8);
  }

  public ApplierOptions withGroup(String g) {
    return new ApplierOptions(node, g, keepVersions, owner, dirMode, clock, events, fsyncThreads);
  }

  public ApplierOptions withKeepVersions(Duration d) {
    return new ApplierOptions(node, group, Optional.of(d), owner, dirMode, clock, events, fsyncThreads);
  }

  public ApplierOptions withOwner(Owner o) {
    return new ApplierOptions(node, group, keepVersions, Optional.of(o), dirMode, clock, events, fsyncThreads);
  }

  public ApplierOptions withClock(Clock c) {
    return new ApplierOptions(node, group, keepVersions, owner, dirMode, c, events, fsyncThreads);
  }

  public ApplierOptions withEvents(EventSink e) {
    return new ApplierOptions(node, group, keepVersions, owner, dirMode, clock, e, fsyncThreads);
  }

  public ApplierOptions withFsyncThreads(int n) {
    return new ApplierOptions(node, group, keepVersions, owner, dirMode, clock, events, n);
  }
}
