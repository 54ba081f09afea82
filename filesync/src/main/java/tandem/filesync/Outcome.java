package tandem.filesync;

import java.util.Optional;

/**
 * What the applier did to one path, for the caller to count and report.
 *
 * @param path the path the entry (or delete) named
 * @param action what happened at that path
 * @param conflictCopy where a local change found there was kept, relative to the root
 * @param version where the replaced or deleted content was kept, relative to the root
 */
public record Outcome(String path, Action action, Optional<String> conflictCopy, Optional<String> version) {
  /** What happened at the path. */
  public enum Action {
    /** Nothing was there; the entry was created. */
    CREATED,
    /** Something was there and was replaced (see conflictCopy and version for where it went). */
    REPLACED,
    /** The content already matched; only mode, mtime or owner were fixed. Nothing to transfer. */
    UNCHANGED,
    /** The path was removed (see conflictCopy and version for where its content went). */
    DELETED,
    /** A delete found nothing there. */
    ABSENT,
    /**
     * A delete of a directory that still holds entries the primary did not delete (local files):
     * the directory stays, with them; an event says so.
     */
    KEPT_NOT_EMPTY
  }

  static Outcome of(String path, Action action) {
    return new Outcome(path, action, Optional.empty(), Optional.empty());
  }

  static Outcome of(String path, Action action, SetAside aside) {
    return new Outcome(path, action, aside.conflictCopy(), aside.version());
  }
}
