package tandem.filesync;

/** Checks that an entry from a peer is consistent before anything is written for it. */
final class EntryCheck {
  private EntryCheck() {}

  /**
   * Throws {@link HostilePathException} for a path or link target tandem must not write, and
   * IllegalArgumentException for an entry whose fields disagree (a bug on the sending side).
   */
  static void check(FileEntry e) throws HostilePathException {
    RelPath.check(e.path());
    if (e.kind() == Kind.SYMLINK) {
      RelPath.checkLinkTarget(e.path(), e.linkTarget());
    }
    if ((e.mode() & ~07777) != 0) {
      throw bad(e, "mode 0" + Integer.toOctalString(e.mode()) + " has bits beyond 07777");
    }
    long sum = e.chunks().stream().mapToLong(ChunkRef::length).sum();
    if (e.kind() == Kind.FILE && sum != e.size()) {
      throw bad(e, "its chunks add up to " + sum + " bytes but its size is " + e.size());
    }
    if (e.kind() != Kind.FILE && (e.size() != 0 || !e.chunks().isEmpty())) {
      throw bad(e, "a " + e.kind() + " entry has size " + e.size() + " and " + e.chunks().size() + " chunks; both must be 0");
    }
    if (e.kind() != Kind.SYMLINK && !e.linkTarget().isEmpty()) {
      throw bad(e, "a " + e.kind() + " entry has a link target");
    }
  }

  private static IllegalArgumentException bad(FileEntry e, String why) {
    return new IllegalArgumentException("entry for " + RelPath.quote(e.path()) + " is inconsistent: " + why
        + "; the sending node has a bug, nothing was written");
  }
}
