package tandem.filesync;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Brings an {@link Index} up to date with the tree under a root, and says what changed.
 *
 * <p>A file is read and chunked only when its {@link LocalStat} (inode, ctime, size, mtime, all
 * read by one {@code lstat}) differs from the index's; otherwise the index entry stands. A file
 * whose stat changes while it is hashed is hashed again, up to {@link #HASH_ATTEMPTS} times, then
 * reported busy. Symlinks are recorded with their target text and never followed; sockets, fifos
 * and devices are skipped. Excluded paths are skipped, and an excluded directory is not entered.
 * Unreadable paths become {@link ScanResult.Problem}s and the scan goes on. New and changed entries
 * go into the index with synced=false.
 *
 * <p>A directory's listing is compared with the index's children of that directory, so deletions
 * are found per directory without holding a set of every path seen.
 *
 * <p>One scan at a time: the methods are synchronized. The index may be read meanwhile.
 */
public final class Scanner {
  /** Tries at hashing a file that keeps changing before it is reported busy. */
  public static final int HASH_ATTEMPTS = 3;

  /*
   * Named attributes, not "unix:*": "*" also resolves owner and group names, one getpwuid/getgrgid
   * (an NSS lookup) per file, which would dominate a rescan. These five come from the one lstat.
   */
  private static final String ATTRIBUTES = "unix:ino,ctime,mode,size,lastModifiedTime";
  private static final int S_IFMT = 0170000;
  private static final int S_IFREG = 0100000;
  private static final int S_IFDIR = 0040000;
  private static final int S_IFLNK = 0120000;

  private final Path root;
  private final Index index;
  private final Excludes excludes;
  private final IoConsumer<Path> afterHash;

  /** Lets a test change a file between hashing it and checking its stat. */
  @FunctionalInterface
  interface IoConsumer<T> {
    void accept(T t) throws IOException;
  }

  /** A scanner of the tree under {@code root} that keeps {@code index} up to date. */
  public Scanner(Path root, Index index, Excludes excludes) {
    this(root, index, excludes, path -> {});
  }

  /**
   * Bytes of new or changed files hashed between two early hand-overs: a scan of many big files
   * (a tree moved in) passes on what it has recorded so far, so sending overlaps hashing.
   */
  static final long EARLY_BYTES = 32L << 20;

  /**
   * New or changed files recorded between two early hand-overs, whatever their size: a tree of
   * small files moved in is being sent after its first thousand files are hashed, not its first 32 MiB
   * (thousands of files, most of a second on a small machine).
   */
  static final int EARLY_FILES = 1024;

  private Consumer<List<String>> early = paths -> {};

  /**
   * Calls {@code early} during a scan with paths already recorded in the index as new or changed,
   * about every {@link #EARLY_BYTES} hashed; those paths are then not repeated in the result's
   * changed list (unless they changed again). The index holds them when it is called. Also
   * called every {@link #EARLY_FILES} new or changed files.
   */
  Scanner early(Consumer<List<String>> early) {
    this.early = early;
    return this;
  }

  Scanner(Path root, Index index, Excludes excludes, IoConsumer<Path> afterHash) {
    this.root = root;
    this.index = index;
    this.excludes = excludes;
    this.afterHash = afterHash;
  }

  /**
   * Walks the whole tree: every directory is listed and every entry stat'ed. Paths the index holds
   * that are not there any more are removed and reported deleted.
   *
   * @throws IOException when the root itself cannot be listed (nothing was changed)
   */
  public synchronized ScanResult full() throws IOException {
    Scan scan = new Scan(true);
    scan.listRoot();
    return scan.result();
  }

  /**
   * Rescans {@code relPaths} (relative to the root; "" is the root itself), for example the paths
   * a {@link Watcher} reported. A path that is gone is removed with everything under it. A
   * directory that is new or whose stat changed is listed, and so, recursively, are the new or
   * changed directories in it. Missing parents are scanned first, and each path's parent directory
   * is re-stat'ed (its mtime changes when entries come and go), but not listed.
   */
  public synchronized ScanResult paths(Collection<String> relPaths) throws IOException {
    Scan scan = new Scan(false);
    Set<String> parents = new TreeSet<>();
    for (String rel : relPaths) {
      if (!rel.isEmpty() && !Files.exists(root.resolve(rel), LinkOption.NOFOLLOW_LINKS)) {
        scan.movedAway(rel);
      }
    }
    for (String rel : new TreeSet<>(relPaths)) {
      if (rel.isEmpty()) {
        scan.listRoot();
        continue;
      }
      String parent = parent(scan.ensureParents(rel));
      scan.visit(rel, true);
      if (!parent.isEmpty()) {
        parents.add(parent);
      }
    }
    for (String parent : parents) {
      scan.touchDir(parent);
    }
    return scan.result();
  }

  private static String parent(String rel) {
    int slash = rel.lastIndexOf('/');
    return slash < 0 ? "" : rel.substring(0, slash);
  }

  private static String child(String dir, String name) {
    return dir.isEmpty() ? name : dir + "/" + name;
  }

  /** What lstat said, in the units the index keeps. */
  /**
   * Files from this size on that reappear under a new name are recognised rather than hashed again;
   * smaller ones cost less to hash than to check.
   */
  static final long MOVED_MIN_BYTES = 1 << 20;

  /**
   * True when the first and last chunk of {@code was} are what {@code path} holds now: a deleted
   * file's inode reused by another file of the same size and mtime (a tarball extracted again) is
   * not taken for a move.
   */
  private static boolean endsMatch(Path path, FileEntry was) {
    List<ChunkRef> chunks = was.chunks();
    if (chunks.isEmpty()) {
      return false;
    }
    ChunkRef first = chunks.getFirst();
    ChunkRef last = chunks.getLast();
    try (var ch = java.nio.channels.FileChannel.open(path, java.nio.file.StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS)) {
      return first.hash().equals(hashAt(ch, 0, first.length())) && last.hash().equals(hashAt(ch, was.size() - last.length(), last.length()));
    } catch (IOException e) {
      return false;
    }
  }

  private static Hash hashAt(java.nio.channels.FileChannel ch, long offset, int length) throws IOException {
    java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(length);
    while (b.hasRemaining() && ch.read(b, offset + b.position()) >= 0) {
      // until full or end of file
    }
    return b.hasRemaining() ? null : Hash.of(b.flip());
  }

  /** What identifies a file across a rename: rename(2) keeps the inode, the size and the mtime. */
  private record Moved(long inode, long size, long mtimeNanos) {}

  private record Stat(int type, int mode, LocalStat local) {
    boolean sameAs(Slot slot) {
      return slot != null && slot.inode() == local.inode() && slot.ctimeNanos() == local.ctimeNanos()
          && slot.statSize() == local.size() && slot.statMtimeNanos() == local.mtimeNanos();
    }
  }

  /** The state of one scan: what it found so far. */
  private final class Scan {
    private final boolean deep;
    private final Map<String, FileEntry> changed = new HashMap<>();
    /** Files indexed under paths that are gone in this scan, by what identifies them on disk. */
    private final Map<Moved, FileEntry> moved = new HashMap<>();
    private final List<String> unsent = new ArrayList<>();
    private final Map<String, FileEntry> handedOver = new HashMap<>();
    private long unsentBytes;
    private final Set<String> deleted = new HashSet<>();
    private final List<String> busy = new ArrayList<>();
    private final List<ScanResult.Problem> problems = new ArrayList<>();
    private int filesHashed;
    private long bytesHashed;
    private int skipped;

    Scan(boolean deep) {
      this.deep = deep;
    }

    /** Remembers the files indexed at or under {@code rel}, which is gone, in case they reappear elsewhere. */
    void movedAway(String rel) {
      for (Recorded r : index.atAndUnder(rel)) {
        if (r.entry().kind() == Kind.FILE) {
          moved.put(new Moved(r.stat().inode(), r.stat().size(), r.stat().mtimeNanos()), r.entry());
        }
      }
    }

    void listRoot() throws IOException {
      if (!Files.isDirectory(root, LinkOption.NOFOLLOW_LINKS)) {
        throw new NotDirectoryException(root + " (the replicated root must be a directory, not a link or file)");
      }
      list("", root);
    }

    /**
     * Scans the missing ancestors of {@code rel}, top down, so no entry is recorded without its
     * parent; returns the topmost one scanned, or {@code rel} when none was missing.
     */
    String ensureParents(String rel) {
      List<String> missing = new ArrayList<>();
      for (String p = parent(rel); !p.isEmpty(); p = parent(p)) {
        Slot slot = index.slot(p);
        if (slot != null && slot.kind() == Kind.DIR) {
          break;
        }
        missing.add(0, p);
      }
      for (String p : missing) {
        visit(p, true);
      }
      return missing.isEmpty() ? rel : missing.get(0);
    }

    /**
     * Scans one path. {@code checkAncestors}: whether the excludes must be checked for the
     * directories above it too (true for paths from outside, false inside a walk that checked them).
     */
    void visit(String rel, boolean checkAncestors) {
      Path path = root.resolve(rel);
      Stat stat;
      try {
        stat = stat(path);
      } catch (NoSuchFileException e) {
        gone(rel);
        return;
      } catch (IOException e) {
        problem(rel, e);
        return;
      }
      boolean isDir = stat.type == S_IFDIR;
      if (checkAncestors ? excludes.excluded(rel, isDir) : excludes.excludedHere(rel, isDir)) {
        gone(rel); // excluded now: no longer part of the replicated tree
        return;
      }
      Slot slot = index.slot(rel);
      if (slot != null && slot.kind() == Kind.DIR && !isDir) {
        removeUnder(rel); // a directory replaced by a file or link: what it held is gone
      }
      switch (stat.type) {
        case S_IFREG -> file(rel, path, stat, slot);
        case S_IFDIR -> dir(rel, path, stat, slot);
        case S_IFLNK -> link(rel, path, stat, slot);
        default -> {
          skipped++;
          gone(rel); // a fifo, socket or device is not replicated, even where a file used to be
        }
      }
    }

    private void file(String rel, Path path, Stat stat, Slot slot) {
      if (stat.sameAs(slot) && slot.kind() == Kind.FILE && slot.mode() == stat.mode) {
        return;
      }
      FileEntry was = stat.local.size() > MOVED_MIN_BYTES
          ? moved.remove(new Moved(stat.local.inode(), stat.local.size(), stat.local.mtimeNanos())) : null;
      if (was != null && endsMatch(path, was)) {
        // The same inode, size, mtime, first and last chunk as a file indexed at a path that is gone:
        // a rename or a move within the tree. Its chunks are known; a moved tree of big files is not
        // read again.
        record(slot, new FileEntry(rel, Kind.FILE, was.size(), stat.local.mtimeNanos(), stat.mode, "", was.chunks()), stat);
        return;
      }
      for (int attempt = 0; attempt < HASH_ATTEMPTS; attempt++) {
        List<ChunkRef> chunks;
        Stat after;
        try {
          chunks = Chunker.chunk(path);
          afterHash.accept(path);
          after = stat(path);
        } catch (NoSuchFileException e) {
          gone(rel);
          return;
        } catch (IOException e) {
          problem(rel, e);
          return;
        }
        filesHashed++;
        long length = chunks.stream().mapToLong(ChunkRef::length).sum();
        bytesHashed += length;
        // Same stat before and after, and all the bytes it promised: nobody wrote while we read.
        if (after.equals(stat) && length == stat.local.size()) {
          record(slot, new FileEntry(rel, Kind.FILE, length, stat.local.mtimeNanos(), stat.mode, "", chunks), stat);
          return;
        }
        stat = after;
      }
      busy.add(rel);
    }

    private void dir(String rel, Path path, Stat stat, Slot slot) {
      boolean isNew = slot == null || slot.kind() != Kind.DIR;
      boolean statChanged = !stat.sameAs(slot);
      record(slot, new FileEntry(rel, Kind.DIR, 0, stat.local.mtimeNanos(), stat.mode, "", List.of()), stat);
      if (deep || isNew || statChanged) {
        list(rel, path);
      }
    }

    private void link(String rel, Path path, Stat stat, Slot slot) {
      if (stat.sameAs(slot) && slot.kind() == Kind.SYMLINK) {
        return;
      }
      try {
        String target = Files.readSymbolicLink(path).toString();
        record(slot, new FileEntry(rel, Kind.SYMLINK, 0, 0, 0, target, List.of()), stat);
      } catch (NoSuchFileException e) {
        gone(rel);
      } catch (IOException e) {
        problem(rel, e);
      }
    }

    /** Re-stats directory {@code rel} to update its own entry (mtime, mode), without listing it. */
    void touchDir(String rel) {
      Slot slot = index.slot(rel);
      if (slot == null || slot.kind() != Kind.DIR || deleted.contains(rel)) {
        return;
      }
      try {
        Stat stat = stat(root.resolve(rel));
        if (stat.type == S_IFDIR) {
          record(slot, new FileEntry(rel, Kind.DIR, 0, stat.local.mtimeNanos(), stat.mode, "", List.of()), stat);
        } else {
          visit(rel, true);
        }
      } catch (NoSuchFileException e) {
        gone(rel);
      } catch (IOException e) {
        problem(rel, e);
      }
    }

    /** Visits what directory {@code rel} holds, and forgets what the index holds there that is gone. */
    private void list(String rel, Path dir) {
      Set<String> names = new HashSet<>();
      try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
        for (Path entry : entries) {
          names.add(entry.getFileName().toString());
        }
      } catch (NoSuchFileException e) {
        gone(rel);
        return;
      } catch (IOException e) {
        problem(rel.isEmpty() ? "." : rel, e); // keep what the index has: we could not see
        return;
      }
      for (String name : index.children(rel)) {
        if (!names.contains(name)) {
          gone(child(rel, name));
        }
      }
      for (String name : names) {
        visit(child(rel, name), false);
      }
    }

    /** Puts {@code entry} unless the index holds it already; only the stat is refreshed then. */
    private void record(Slot slot, FileEntry entry, Stat stat) {
      boolean sameEntry = slot != null && slot.toEntry().equals(entry);
      if (sameEntry && stat.sameAs(slot)) {
        return;
      }
      index.put(entry, stat.local, sameEntry && slot.synced());
      if (!sameEntry) {
        changed.put(entry.path(), entry);
        handOver(entry);
      }
    }

    private void handOver(FileEntry entry) {
      if (entry.kind() != Kind.FILE) {
        return;
      }
      unsent.add(entry.path());
      unsentBytes += entry.size();
      if (unsentBytes >= EARLY_BYTES || unsent.size() >= EARLY_FILES) {
        List<String> paths = List.copyOf(unsent);
        for (String p : paths) {
          handedOver.put(p, changed.get(p));
        }
        unsent.clear();
        unsentBytes = 0;
        early.accept(paths);
      }
    }

    private void gone(String rel) {
      removeUnder(rel);
      if (index.slot(rel) != null) {
        index.removed(rel);
        deleted.add(rel);
      }
    }

    private void removeUnder(String rel) {
      deleted.addAll(index.removeUnder(rel));
    }

    private void problem(String rel, IOException e) {
      String why = e instanceof AccessDeniedException ? "permission denied" : e.toString();
      problems.add(new ScanResult.Problem(rel, why));
    }

    ScanResult result() {
      // A path can be deleted and then found again (a rename within one scan): it is not deleted.
      List<FileEntry> found = new ArrayList<>();
      for (FileEntry entry : changed.values()) {
        if (index.slot(entry.path()) != null && entry != handedOver.get(entry.path())) {
          found.add(entry);
        }
      }
      found.sort(Comparator.comparing(FileEntry::path));
      List<String> gone = new ArrayList<>();
      for (String rel : deleted) {
        if (index.slot(rel) == null) {
          gone.add(rel);
        }
      }
      gone.sort(Comparator.reverseOrder());
      return new ScanResult(found, gone, busy, filesHashed, bytesHashed, skipped, problems);
    }
  }

  private static Stat stat(Path path) throws IOException {
    Map<String, Object> a = Files.readAttributes(path, ATTRIBUTES, LinkOption.NOFOLLOW_LINKS);
    int mode = (Integer) a.get("mode");
    LocalStat local = new LocalStat((Long) a.get("ino"), nanos(a.get("ctime")), (Long) a.get("size"),
        nanos(a.get("lastModifiedTime")));
    return new Stat(mode & S_IFMT, mode & 07777, local);
  }

  private static long nanos(Object fileTime) {
    return ((FileTime) fileTime).to(TimeUnit.NANOSECONDS);
  }
}
