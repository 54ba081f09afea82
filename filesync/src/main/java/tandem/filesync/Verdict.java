package tandem.filesync;

/** What is at a path the applier is about to replace or delete, and so what it must do first. */
enum Verdict {
  /** Nothing is there: just write. */
  ABSENT,
  /** What is there is what this node last received from the primary: replace it (keep a version). */
  CLEAN,
  /** What is there already has the incoming content: only fix the metadata. */
  SAME,
  /** What is there was changed on this node: keep it as a conflict copy, then write. */
  LOCAL_CHANGE
}
