package tandem.filesync;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tandem.core.Event;
import tandem.core.EventSink;
import tandem.core.Level;

/**
 * One replicated directory on this node: its root, its index (saved under the agent's data dir),
 * its exclude patterns, and the applier that changes it on a replica. Shared by the {@link Sender}
 * (while this node is primary) and the {@link Receiver} (otherwise).
 */
public final class LocalTree {
  private static final Logger LOG = LoggerFactory.getLogger(LocalTree.class);

  private final Path root;
  private final Path indexFile;
  private final Index index;
  private final Excludes excludes;
  private final Applier applier;
  private final AtomicLong changes = new AtomicLong();
  private long savedAt = -1;

  private LocalTree(Path root, Path indexFile, Index index, Excludes excludes, Applier applier) {
    this.root = root;
    this.indexFile = indexFile;
    this.index = index;
    this.excludes = excludes;
    this.applier = applier;
  }

  /**
   * Opens the tree at {@code root}, creating the directory if missing, loading the saved index
   * (a damaged index is reported and rebuilt by the next full scan: slower, nothing lost) and
   * removing temporary files a killed agent left behind.
   */
  public static LocalTree open(Path root, Path indexFile, List<String> exclude, ApplierOptions options,
      EventSink events, String self, String group) throws IOException {
    Files.createDirectories(root);
    Index index = new Index();
    if (Files.exists(indexFile)) {
      try {
        index = Index.load(indexFile);
      } catch (IOException e) {
        events.emit(new Event(Instant.now(), Level.WARNING, "index-rebuilt", self, group, e.getMessage()));
      }
    }
    Applier applier = new Applier(root, index, options);
    applier.cleanTemps();
    return new LocalTree(root.toRealPath(), indexFile, index, Excludes.of(exclude), applier);
  }

  public Path root() {
    return root;
  }

  Index index() {
    return index;
  }

  Excludes excludes() {
    return excludes;
  }

  Applier applier() {
    return applier;
  }

  boolean excluded(String rel, boolean dir) {
    return excludes.excluded(rel, dir);
  }

  /** True when the path already is what {@code e} says and nobody touched it since. */
  boolean upToDate(FileEntry e) throws IOException {
    Recorded r = index.recorded(e.path());
    if (r == null || !r.entry().equals(e)) {
      return false;
    }
    LocalStat now = stat(e.path());
    if (!r.stat().equals(now)) {
      return false;
    }
    if (!r.synced()) {
      index.applied(e, now);
    }
    return true;
  }

  /** The stat of a path under the root, or null when it does not exist. */
  LocalStat stat(String rel) throws IOException {
    Lstat l = Lstat.of(root.resolve(rel));
    return l == null ? null : l.stat();
  }

  /**
   * Indexes the regular file at {@code rel} when the index does not know it as it is now (a file
   * that was there before tandem, or changed locally), so its chunks can be reused and an equal
   * file is not fetched again. It is recorded as not synced: a local version, kept as a conflict
   * copy if the primary's differs. Nothing happens when it is known, absent, or changes while read.
   */
  void indexUnknown(String rel) throws IOException {
    Path p = root.resolve(rel);
    Lstat before = Lstat.of(p);
    if (before == null || !before.is(Kind.FILE)) {
      return;
    }
    Recorded r = index.recorded(rel);
    if (r != null && r.stat().equals(before.stat())) {
      return;
    }
    List<ChunkRef> chunks = Chunker.chunk(p);
    Lstat after = Lstat.of(p);
    if (after != null && after.stat().equals(before.stat())) {
      index.put(new FileEntry(rel, Kind.FILE, before.stat().size(), before.stat().mtimeNanos(), before.mode(), "", chunks),
          before.stat(), false);
      changes.incrementAndGet();
    }
  }

  /** A local range holding {@code chunk}, in a file unchanged since it was hashed; null if none. */
  ChunkData findLocally(ChunkRef chunk) throws IOException {
    return findLocally(chunk, new HashMap<>());
  }

  /**
   * As {@link #findLocally(ChunkRef)} for the many chunks of one entry: whether a file is unchanged
   * since hashed is asked of the disk once per file and remembered in {@code unchanged}, not once
   * per chunk (a 1 GiB file is 16,000 chunks, mostly in one local file).
   */
  ChunkData findLocally(ChunkRef chunk, Map<String, Boolean> unchanged) throws IOException {
    Optional<ChunkLocation> at = index.locate(chunk.hash());
    if (at.isEmpty() || at.get().length() != chunk.length()) {
      return null;
    }
    String path = at.get().path();
    Boolean same = unchanged.get(path);
    if (same == null) {
      Recorded r = index.recorded(path);
      same = r != null && r.stat().equals(stat(path));
      unchanged.put(path, same);
    }
    return same ? new ChunkData.Range(root.resolve(path), at.get().offset(), chunk.length()) : null;
  }

  /** Applies one entry; returns 1 when a local change was kept as a conflict copy, else 0. */
  int apply(FileEntry e, ChunkSource source) throws BadMessageException, IOException, InterruptedException {
    changes.incrementAndGet();
    try {
      return applier.apply(e, source).conflictCopy().isPresent() ? 1 : 0;
    } catch (FileGoneException gone) {
      return 0;
    } catch (HostilePathException hostile) {
      throw new BadMessageException(hostile.getMessage());
    }
  }

  /** Applies small files together so their fsyncs can share journal commits; returns conflict copies made. */
  int applyAll(List<FileEntry> files, ChunkSource source) throws BadMessageException, IOException, InterruptedException {
    changes.incrementAndGet();
    try {
      return (int) applier.applyAll(files, source).stream().filter(o -> o.conflictCopy().isPresent()).count();
    } catch (HostilePathException hostile) {
      throw new BadMessageException(hostile.getMessage());
    }
  }

  /**
   * Removes a path the primary no longer has, a directory with everything under it (deepest
   * first, each path judged on its own); returns how many local changes were kept as conflict copies.
   */
  int delete(String path) throws BadMessageException, IOException {
    changes.incrementAndGet();
    try {
      Path p = root.resolve(RelPath.check(path));
      List<String> paths = new java.util.ArrayList<>();
      if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
        try (var all = Files.walk(p)) {
          all.filter(x -> !x.equals(p)).map(x -> rel(root, x)).filter(r -> !excluded(r, false)).forEach(paths::add);
        }
      }
      paths.sort(java.util.Comparator.reverseOrder());
      paths.add(path);
      int conflicts = 0;
      for (String r : paths) {
        conflicts += applier.delete(r).conflictCopy().isPresent() ? 1 : 0;
      }
      return conflicts;
    } catch (HostilePathException hostile) {
      throw new BadMessageException(hostile.getMessage());
    }
  }

  /** Counts a change made by the scanner, so the index is saved again. */
  void changed() {
    changes.incrementAndGet();
  }

  /** Saves the index if it changed since the last save; a failure is logged (the next full scan repairs it). */
  public synchronized void saveQuietly() {
    long now = changes.get();
    if (now == savedAt) {
      return;
    }
    try {
      Files.createDirectories(indexFile.getParent());
      index.save(indexFile);
      savedAt = now;
    } catch (IOException e) {
      LOG.warn("cannot save the file index {}: {}", indexFile, e.getMessage());
    }
  }

  static String rel(Path root, Path p) {
    return root.relativize(p).toString();
  }
}
