package tandem.filesync;

/**
 * The part of a node's index the {@code Applier} needs: what each path was when this node last
 * agreed with the primary. {@code Index} implements it; implementations are thread-safe.
 */
public interface Baseline {
  /** What the index holds for {@code path}, or null when it knows nothing about it. */
  Recorded recorded(String path);

  /** Records that {@code path} now is {@code entry} on disk with {@code stat}, in sync with the primary. */
  void applied(FileEntry entry, LocalStat stat);

  /** Forgets {@code path} (it was deleted or moved away to a conflict copy or version). */
  void removed(String path);
}
