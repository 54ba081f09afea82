package tandem.filesync;

/**
 * How one replica of a replicated directory stands, as its primary sees it.
 *
 * @param replica the replica's node name
 * @param state connecting, initial-sync, in-sync, behind or disconnected
 * @param entriesInSync entries (files, dirs, links) the replica has in their current version
 * @param bytesInSync file bytes the replica has in their current version
 * @param behindEntries entries changed on the primary and not yet acknowledged by the replica
 * @param behindBytes their bytes
 * @param behindSeconds age of the oldest change not yet acknowledged, 0 when in sync
 * @param bytesPerSecond bytes acknowledged per second over the last few seconds
 * @param initialTotalEntries entries in the full comparison in progress (0 when none)
 * @param initialTotalBytes bytes in it
 * @param initialDoneEntries entries of it acknowledged so far
 * @param initialDoneBytes bytes of it acknowledged so far
 * @param lastError why the last stream to the replica ended, "" if none
 */
public record ReplicaProgress(String replica, String state, long entriesInSync, long bytesInSync, long behindEntries,
    long behindBytes, double behindSeconds, double bytesPerSecond, long initialTotalEntries, long initialTotalBytes,
    long initialDoneEntries, long initialDoneBytes, String lastError) {

  /** Seconds until the initial sync is done at the current rate; -1 when unknown or none runs. */
  public double etaSeconds() {
    long left = initialTotalBytes - initialDoneBytes;
    return initialTotalEntries == 0 || bytesPerSecond <= 0 ? -1 : left / bytesPerSecond;
  }
}
