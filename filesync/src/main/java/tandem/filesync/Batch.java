package tandem.filesync;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * One {@link Applier#applyAll} run. Small files are cheap to write and expensive to fsync one by
 * one (each fsync waits for a journal commit); issuing the fsyncs from several threads at once
 * lets the filesystem commit them together, and renames and directory fsyncs are then done once
 * per file and once per directory. The order keeps every file old-or-new at any kill: a file is
 * renamed into place only after its own fsync returned, and recorded only after its directory's.
 */
final class Batch {
  /**
   * From this many small files in a batch on, they are written without their own fsync and made
   * durable by one syncfs(2) of the filesystem before any is renamed into place, and one more
   * after the renames (instead of a fsync per file and per directory). Fewer, only one by one.
   */
  static final int SYNCFS_FROM = 16;
  /** Files up to this size are fetched whole before their write is handed to a pool thread. */
  private static final long SMALL = 1 << 20;

  private final Applier applier;
  /** Parent directories found real in this batch: each is lstat'ed once, not once per file. */
  private final Set<Path> checkedDirs = new java.util.HashSet<>();
  /** Temp files renamed into place: not there any more, so the cleanup does not look for them. */
  private final Set<Path> installed = new java.util.HashSet<>();

  Batch(Applier applier) {
    this.applier = applier;
  }

  List<Outcome> run(List<FileEntry> entries, ChunkSource source) throws HostilePathException, IOException, InterruptedException {
    for (FileEntry e : entries) {
      applier.check(e); // every path is checked before anything is written: a hostile peer gets nothing in
    }
    Map<String, Outcome> outcomes = new LinkedHashMap<>();
    List<FileEntry> latest = latest(entries, source);
    List<FileEntry> dirs = ofKind(latest, Kind.DIR);
    for (FileEntry d : dirs) {
      outcomes.put(d.path(), applier.apply(d, source));
    }
    applyFiles(ofKind(latest, Kind.FILE), source, outcomes);
    for (FileEntry l : ofKind(latest, Kind.SYMLINK)) {
      outcomes.put(l.path(), applier.apply(l, source));
    }
    for (FileEntry d : dirs.reversed()) {
      applier.unchanged(d, applier.root().resolve(d.path())); // the files written inside moved its mtime
    }
    List<Outcome> inOrder = new ArrayList<>();
    for (FileEntry e : entries) {
      inOrder.add(outcomes.get(e.path()));
    }
    return inOrder;
  }

  /**
   * The entries without those a later entry of the same path replaces (a file rewritten while the
   * primary sent it arrives twice). Applying both would install the first and then judge the
   * second against a baseline not yet told about the first: a false local change. The chunks of
   * an entry left out are not read.
   */
  private static List<FileEntry> latest(List<FileEntry> entries, ChunkSource source) {
    Map<String, Integer> last = new java.util.HashMap<>();
    for (int i = 0; i < entries.size(); i++) {
      last.put(entries.get(i).path(), i);
    }
    if (last.size() == entries.size()) {
      return entries;
    }
    List<FileEntry> out = new ArrayList<>(last.size());
    for (int i = 0; i < entries.size(); i++) {
      FileEntry e = entries.get(i);
      if (last.get(e.path()) == i) {
        out.add(e);
      } else if (e.kind() == Kind.FILE) {
        source.skipped(e);
      }
    }
    return out;
  }

  private void applyFiles(List<FileEntry> files, ChunkSource source, Map<String, Outcome> outcomes)
      throws HostilePathException, IOException, InterruptedException {
    List<Future<Applier.Pending>> small = new ArrayList<>();
    List<Future<Applier.Pending>> big = new ArrayList<>();
    List<Applier.Pending> temps = new ArrayList<>(); // every temp file known, for the cleanup
    boolean syncfs = files.stream().filter(f -> f.size() <= SMALL).count() >= SYNCFS_FROM;
    try (ExecutorService pool = Executors.newFixedThreadPool(applier.fsyncThreads(), Thread.ofPlatform().daemon().name("tandem-fsync-", 0).factory())) {
      List<Applier.Pending> pending = new ArrayList<>();
      try {
        for (FileEntry e : files) {
          Future<Applier.Pending> w = submit(pool, e, source, outcomes, syncfs);
          if (w != null) {
            (e.size() > SMALL ? big : small).add(w);
          }
          installFinished(big, temps, outcomes);
        }
      } finally {
        awaitAll(big, pending); // even after a failure: every temp must be known before cleaning up
        awaitAll(small, pending);
        temps.addAll(pending);
      }
      if (syncfs) {
        makeDurable(pending, pool);
      }
      installAll(pending, outcomes, syncfs);
    } finally {
      for (Applier.Pending p : temps) {
        if (!installed.contains(p.tmp())) {
          Files.deleteIfExists(p.tmp()); // never renamed: a failure stopped the batch
        }
      }
    }
  }

  /**
   * Puts big files whose fsync has finished into place at once, in order, rather than at the end
   * of the batch: a reader sees each as soon as it is durable, and an interrupted sync of many big
   * files keeps those that were done (the next comparison finds them complete).
   */
  private void installFinished(List<Future<Applier.Pending>> big, List<Applier.Pending> temps, Map<String, Outcome> outcomes)
      throws IOException, InterruptedException {
    List<Future<Applier.Pending>> done = new ArrayList<>();
    while (!big.isEmpty() && big.getFirst().isDone()) {
      done.add(big.removeFirst());
    }
    List<Applier.Pending> ready = new ArrayList<>();
    try {
      awaitAll(done, ready);
    } finally {
      temps.addAll(ready);
    }
    installAll(ready, outcomes, false);
  }

  /**
   * One syncfs for every temp file of the batch; where syncfs cannot run (no {@code sync} program),
   * each temp file is fsynced instead, as in a small batch. Either way nothing is renamed before
   * its data is on disk.
   */
  private void makeDurable(List<Applier.Pending> pending, ExecutorService pool) throws IOException, InterruptedException {
    try {
      SafeTree.syncFilesystem(applier.root());
    } catch (java.io.InterruptedIOException e) {
      throw new InterruptedException(e.getMessage());
    } catch (IOException e) {
      List<Future<Applier.Pending>> synced = new ArrayList<>();
      for (Applier.Pending p : pending) {
        synced.add(pool.submit(() -> {
          TempWriter.fsync(p.tmp());
          return p;
        }));
      }
      awaitAll(synced, new ArrayList<>());
    }
  }

  /**
   * Starts writing one file: its chunks are fetched here (the source is single-threaded), and a
   * small file's write and fsync run on the pool, so both cores and the journal stay busy. A big
   * file is written here and only its fsync goes to the pool. Null when the content already matches.
   */
  private Future<Applier.Pending> submit(ExecutorService pool, FileEntry e, ChunkSource source, Map<String, Outcome> outcomes,
      boolean syncfs) throws HostilePathException, IOException, InterruptedException {
    Path target = applier.prepare(e, checkedDirs);
    Lstat before = Lstat.of(target);
    Verdict v = applier.judge().judge(e.path(), target, before, e);
    if (v == Verdict.SAME) {
      source.skipped(e);
      outcomes.put(e.path(), applier.unchanged(e, target));
      return null;
    }
    try {
      return submitWrite(pool, e, target, before, v, source, syncfs);
    } catch (FileGoneException gone) {
      outcomes.put(e.path(), Outcome.of(e.path(), Outcome.Action.UNCHANGED)); // left as it was; a newer entry follows
      return null;
    }
  }

  private Future<Applier.Pending> submitWrite(ExecutorService pool, FileEntry e, Path target, Lstat before, Verdict v,
      ChunkSource source, boolean syncfs) throws IOException, InterruptedException {
    if (e.size() <= SMALL) {
      List<ChunkData> data = new ArrayList<>();
      source.starting(e);
      for (ChunkRef c : e.chunks()) {
        data.add(source.read(c));
      }
      Iterator<ChunkData> next = data.iterator();
      return pool.submit(() -> new Applier.Pending(e, target, before, v, writeTemp(e, target, c -> next.next(), !syncfs)));
    }
    Path tmp = writeTemp(e, target, source, false);
    Applier.Pending p = new Applier.Pending(e, target, before, v, tmp);
    return pool.submit(() -> {
      try {
        TempWriter.fsync(tmp);
        return p;
      } catch (IOException ex) {
        Files.deleteIfExists(tmp); // the caller only learns of temps that were fsynced
        throw IoFailure.of(e.path(), applier.root(), "fsync of the temporary file", ex);
      }
    });
  }

  private Path writeTemp(FileEntry e, Path target, ChunkSource source, boolean fsync) throws IOException, InterruptedException {
    try {
      return applier.writer().write(target, e, source, fsync);
    } catch (FileGoneException gone) {
      throw gone;
    } catch (IOException ex) {
      throw IoFailure.of(e.path(), applier.root(), "writing the new content to a temporary file", ex);
    }
  }

  /** Collects every written file; rethrows the first failure once all have finished. */
  private static void awaitAll(List<Future<Applier.Pending>> written, List<Applier.Pending> pending)
      throws IOException, InterruptedException {
    Exception first = null;
    for (Future<Applier.Pending> w : written) {
      try {
        pending.add(w.get());
      } catch (ExecutionException ex) {
        Throwable cause = ex.getCause();
        first = first != null ? first : cause instanceof Exception c ? c : new IOException(cause);
      }
    }
    if (first instanceof IOException io) {
      throw io;
    }
    if (first instanceof InterruptedException ie) {
      throw ie;
    }
    if (first != null) {
      throw new IOException(first);
    }
  }

  /**
   * Renames each file into place, fsyncs each touched directory once (or the whole filesystem once,
   * with {@code syncfs}), then records them all.
   */
  private void installAll(List<Applier.Pending> pending, Map<String, Outcome> outcomes, boolean syncfs) throws IOException {
    Set<Path> dirs = new LinkedHashSet<>();
    List<Applier.Pending> done = new ArrayList<>();
    try {
      for (Applier.Pending p : pending) {
        Outcome o;
        try {
          o = applier.install(p);
        } catch (IOException ex) {
          throw IoFailure.of(p.entry().path(), applier.root(), "moving the new content into place", ex);
        }
        installed.add(p.tmp());
        outcomes.put(p.entry().path(), o);
        done.add(p);
        dirs.add(p.target().getParent());
        o.version().ifPresent(v -> dirs.add(applier.root().resolve(v).getParent()));
      }
    } finally {
      // Even when one rename failed, those before it are in place: make them durable and record them.
      if (syncfs && dirs.size() > 1) {
        SafeTree.syncFilesystem(applier.root());
      } else {
        for (Path d : dirs) {
          SafeTree.fsyncDirectory(d);
        }
      }
      for (Applier.Pending p : done) {
        applier.record(p.entry(), p.target());
      }
    }
  }

  private static List<FileEntry> ofKind(List<FileEntry> entries, Kind kind) {
    return entries.stream().filter(e -> e.kind() == kind).toList();
  }
}
