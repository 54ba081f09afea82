package tandem.filesync;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import tandem.filesync.Outcome.Action;

/**
 * Makes paths on a replica what the primary's entries say, so that a reader never sees a
 * half-written file, a kill -9 at any moment leaves every file old or new, and a change made on
 * this node is never overwritten silently.
 *
 * <p><b>One file.</b> The content is assembled under {@code .tandem-tmp-<name>-<random>} in the
 * target's directory, given its mode, mtime and owner, fsynced, then renamed over the target
 * (atomic), and the directory is fsynced. Only after that is {@link Baseline#applied} called.
 *
 * <p><b>The conflict rule.</b> Before a path is replaced or deleted, what is there is judged (see
 * {@link Verdict}): unchanged since this node last received it (its lstat equals the baseline's)
 * means a clean replace, kept as a version when versions are on; already holding the incoming
 * content means only metadata is fixed; anything else is a local change, kept as a conflict copy
 * {@code name.sync-conflict-YYYYMMDD-HHMMSS-<node>.ext} beside it, with a {@code file-conflict}
 * event. The judgement is made again just before the rename, after the slow write, so the window in
 * which a local write can be lost is the few microseconds between that lstat and the rename.
 *
 * <p><b>Paths.</b> Every path is checked by {@link RelPath} and opened through {@link SafeTree};
 * a refused path emits a {@code hostile-path} event and throws {@link HostilePathException}.
 *
 * <p>Thread-safety: one thread at a time; {@link #applyAll} runs its own fsync threads.
 */
public final class Applier {
  private final SafeTree tree;
  private final Baseline baseline;
  private final ApplierOptions options;
  private final Judge judge;
  private final TempWriter writer;
  private final Keeper keeper;
  private final ApplyEvents events;

  /** An applier for the tree at {@code root} (which must exist), recording into {@code baseline}. */
  public Applier(Path root, Baseline baseline, ApplierOptions options) throws IOException {
    this.tree = new SafeTree(root, options.dirMode(), options.owner());
    this.baseline = Objects.requireNonNull(baseline, "baseline");
    this.options = options;
    this.judge = new Judge(baseline);
    this.writer = new TempWriter(options.owner());
    this.keeper = new Keeper(tree, options);
    this.events = new ApplyEvents(options);
  }

  /** The replicated root, as its real path. */
  public Path root() {
    return tree.root();
  }

  /**
   * Makes {@code entry.path()} what {@code entry} says, taking a file's bytes from {@code source}.
   *
   * @throws HostilePathException the path or link target is refused (an event says so); nothing written
   * @throws IOException the disk failed; the message says where and what to do; the old content stays
   * @throws InterruptedException the source was interrupted; the old content stays, no temp file remains
   */
  public Outcome apply(FileEntry entry, ChunkSource source) throws HostilePathException, IOException, InterruptedException {
    Path target = prepare(entry);
    return switch (entry.kind()) {
      case FILE -> applyFile(entry, target, source);
      case DIR -> applyDir(entry, target);
      case SYMLINK -> applyLink(entry, target);
    };
  }

  /**
   * Applies many entries at once: directories first, then every file written to its temp name
   * with the fsyncs running on {@link ApplierOptions#fsyncThreads} threads (concurrent fsyncs share
   * journal commits), then each renamed into place, each touched directory fsynced once, then
   * links. No fsync is skipped. Every entry is checked before anything is written: one refused
   * path refuses the batch. {@code source} is called from the calling thread only.
   */
  public List<Outcome> applyAll(List<FileEntry> entries, ChunkSource source)
      throws HostilePathException, IOException, InterruptedException {
    return new Batch(this).run(entries, source);
  }

  /**
   * Removes {@code path} under the same rule: a clean file or link is deleted (or kept as a version),
   * a locally changed one is moved to a conflict copy (its data is kept, the path is gone as on the
   * primary), an empty directory is removed and a non-empty one kept ({@link Action#KEPT_NOT_EMPTY}):
   * delete a directory's children first.
   */
  public Outcome delete(String path) throws HostilePathException, IOException {
    String rel = checked(path);
    Optional<Path> at = tree.locate(rel);
    Lstat st = at.isEmpty() ? null : Lstat.of(at.get());
    if (st == null) {
      baseline.removed(rel);
      return Outcome.of(rel, Action.ABSENT);
    }
    Path p = at.get();
    Verdict v = judge.judge(rel, p, st, null);
    if (st.is(Kind.DIR) && v == Verdict.LOCAL_CHANGE) {
      events.keptNotEmpty(rel);
      baseline.removed(rel);
      return Outcome.of(rel, Action.KEPT_NOT_EMPTY);
    }
    try {
      SetAside aside = setAside(rel, p, st, v, true);
      if (Lstat.of(p) != null) {
        Files.delete(p); // a clean file without versions, or an empty directory
      }
      fsyncDirs(p, aside);
      baseline.removed(rel);
      return Outcome.of(rel, Action.DELETED, aside);
    } catch (IOException e) {
      throw IoFailure.of(rel, root(), "deleting", e);
    }
  }

  /** Removes versions older than {@link ApplierOptions#keepVersions} and the empty directories left; returns how many. */
  public int expireVersions() throws IOException {
    return new Versions(root(), options).expire();
  }

  /** Removes the temp files a kill -9 left anywhere under the root; call at start, before applying. Returns how many. */
  public int cleanTemps() throws IOException {
    return Versions.cleanTemps(root());
  }

  // ---- steps shared with Batch ----

  Path prepare(FileEntry entry) throws HostilePathException, IOException {
    return prepare(entry, null);
  }

  /** {@link #prepare(FileEntry)} for a batch: see {@link SafeTree#prepare(String, java.util.Set)}. */
  Path prepare(FileEntry entry, java.util.Set<Path> checkedDirs) throws HostilePathException, IOException {
    check(entry);
    try {
      return checkedDirs == null ? tree.prepare(entry.path()) : tree.prepare(entry.path(), checkedDirs);
    } catch (HostilePathException e) {
      events.hostile(e);
      throw e;
    }
  }

  /** {@link EntryCheck#check}, with a {@code hostile-path} event on refusal. */
  void check(FileEntry entry) throws HostilePathException {
    try {
      EntryCheck.check(entry);
    } catch (HostilePathException e) {
      events.hostile(e);
      throw e;
    }
  }

  private String checked(String path) throws HostilePathException {
    try {
      return RelPath.check(path);
    } catch (HostilePathException e) {
      events.hostile(e);
      throw e;
    }
  }

  Judge judge() {
    return judge;
  }

  TempWriter writer() {
    return writer;
  }

  int fsyncThreads() {
    return options.fsyncThreads();
  }

  /** A file whose temp copy is written, waiting for its rename. */
  record Pending(FileEntry entry, Path target, Lstat before, Verdict verdict, Path tmp) {}

  /** Re-judges the target (only if it changed since {@code before}), sets it aside, renames the temp over it. */
  Outcome install(Pending p) throws IOException {
    String rel = p.entry().path();
    Lstat now = Lstat.of(p.target());
    Verdict v = Objects.equals(now, p.before()) ? p.verdict() : judge.judge(rel, p.target(), now, p.entry());
    SetAside aside = setAside(rel, p.target(), now, v, false);
    Files.move(p.tmp(), p.target(), StandardCopyOption.ATOMIC_MOVE);
    return Outcome.of(rel, now == null ? Action.CREATED : Action.REPLACED, aside);
  }

  /** Tells the baseline what the path now is on disk. */
  void record(FileEntry entry, Path target) throws IOException {
    baseline.applied(entry, Lstat.of(target).stat());
  }

  /** Fixes mode, mtime and owner of a path whose content already matches. */
  Outcome unchanged(FileEntry e, Path target) throws IOException {
    if (e.kind() == Kind.SYMLINK) {
      if (options.owner().isPresent()) {
        options.owner().get().applyTo(target);
      }
    } else {
      writer.finish(target, e.kind() == Kind.DIR ? e.mode() : TempWriter.fileMode(e.mode()), e.mtimeNanos());
    }
    record(e, target);
    return Outcome.of(e.path(), Action.UNCHANGED);
  }

  // ---- one entry ----

  private Outcome applyFile(FileEntry e, Path target, ChunkSource source) throws IOException, InterruptedException {
    String rel = e.path();
    Lstat before = Lstat.of(target);
    Verdict v = judge.judge(rel, target, before, e);
    if (v == Verdict.SAME) {
      source.skipped(e);
      return unchanged(e, target);
    }
    Path tmp;
    try {
      tmp = writer.write(target, e, source, true);
    } catch (FileGoneException gone) {
      throw gone; // not a disk failure: the primary's file changed, a newer entry follows
    } catch (IOException ex) {
      throw IoFailure.of(rel, root(), "writing the new content to a temporary file", ex);
    }
    try {
      Outcome o = install(new Pending(e, target, before, v, tmp));
      finishOne(e, o, target);
      return o;
    } catch (IOException ex) {
      throw IoFailure.of(rel, root(), "moving the new content into place", ex);
    } finally {
      Files.deleteIfExists(tmp); // only still there when the rename did not happen
    }
  }

  private Outcome applyDir(FileEntry e, Path target) throws IOException {
    String rel = e.path();
    Lstat before = Lstat.of(target);
    if (before != null && before.is(Kind.DIR)) {
      return unchanged(e, target);
    }
    try {
      SetAside aside = setAside(rel, target, before, judge.judge(rel, target, before, e), true);
      if (Lstat.of(target) != null) {
        Files.delete(target); // a clean file or link replaced by a directory, versions off
      }
      Files.createDirectory(target);
      writer.finish(target, e.mode(), e.mtimeNanos());
      Outcome o = Outcome.of(rel, before == null ? Action.CREATED : Action.REPLACED, aside);
      finishOne(e, o, target);
      return o;
    } catch (IOException ex) {
      throw IoFailure.of(rel, root(), "creating the directory", ex);
    }
  }

  private Outcome applyLink(FileEntry e, Path target) throws IOException {
    String rel = e.path();
    Lstat before = Lstat.of(target);
    Verdict v = judge.judge(rel, target, before, e);
    if (v == Verdict.SAME) {
      return unchanged(e, target);
    }
    Path tmp = target.resolveSibling(SideNames.temp(target.getFileName().toString()));
    try {
      Files.createSymbolicLink(tmp, target.getFileSystem().getPath(e.linkTarget()));
      if (options.owner().isPresent()) {
        options.owner().get().applyTo(tmp);
      }
      Outcome o = install(new Pending(e, target, before, v, tmp));
      finishOne(e, o, target);
      return o;
    } catch (IOException ex) {
      throw IoFailure.of(rel, root(), "creating the link", ex);
    } finally {
      Files.deleteIfExists(tmp);
    }
  }

  /** fsyncs the directories that changed, emits the conflict event, records the new state. */
  private void finishOne(FileEntry e, Outcome o, Path target) throws IOException {
    fsyncDirs(target, new SetAside(o.conflictCopy(), o.version()));
    record(e, target);
  }

  private void fsyncDirs(Path target, SetAside aside) throws IOException {
    SafeTree.fsyncDirectory(target.getParent());
    if (aside.version().isPresent()) {
      SafeTree.fsyncDirectory(root().resolve(aside.version().get()).getParent());
    }
  }

  /**
   * Moves what is at {@code p} out of the way as the verdict says. {@code free}: the path must be
   * empty afterwards (a delete, or a directory about to be created); otherwise a rename follows.
   */
  SetAside setAside(String rel, Path p, Lstat st, Verdict v, boolean free) throws IOException {
    switch (v) {
      case ABSENT, SAME -> {
        return SetAside.NOTHING;
      }
      case CLEAN -> {
        if (st.is(Kind.DIR)) {
          Files.delete(p); // empty (or the verdict would be LOCAL_CHANGE): nothing to keep, and rename(2) cannot replace it
          return SetAside.NOTHING;
        }
        if (options.keepVersions().isEmpty()) {
          return SetAside.NOTHING; // the rename (or the caller's delete) replaces it
        }
        return SetAside.version(tree.relativize(keeper.version(rel, p, st, !free)));
      }
      case LOCAL_CHANGE -> {
        String copy = tree.relativize(keeper.conflictCopy(p, st, !free && !st.is(Kind.DIR)));
        events.conflict(rel, copy);
        return SetAside.conflict(copy);
      }
      default -> throw new IllegalStateException("unknown verdict " + v);
    }
  }
}
