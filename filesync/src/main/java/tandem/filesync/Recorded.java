package tandem.filesync;

/**
 * What a node's index holds for one path.
 *
 * @param entry what the path was when last scanned or applied
 * @param stat the local stat it had then; a file whose stat differs was changed since
 * @param synced true when this version is known to be on every replica (on the primary) or was
 *     received from the primary (on a replica); a path whose version is not synced holds local
 *     changes that must be kept as a conflict copy before anything overwrites them
 */
public record Recorded(FileEntry entry, LocalStat stat, boolean synced) {}
