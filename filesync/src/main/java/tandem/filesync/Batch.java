package tandem.filesync;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
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
  private final Applier applier;

  Batch(Applier applier) {
    this.applier = applier;
  }

  List<Outcome> run(List<FileEntry> entries, ChunkSource source) throws HostilePathException, IOException, InterruptedException {
    for (FileEntry e : entries) {
      applier.check(e); // every path is checked before anything is written: a hostile peer gets nothing in
    }
    Map<String, Outcome> outcomes = new LinkedHashMap<>();
    List<FileEntry> dirs = ofKind(entries, Kind.DIR);
    for (FileEntry d : dirs) {
      outcomes.put(d.path(), applier.apply(d, source));
    }
    applyFiles(ofKind(entries, Kind.FILE), source, outcomes);
    for (FileEntry l : ofKind(entries, Kind.SYMLINK)) {
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

  private void applyFiles(List<FileEntry> files, ChunkSource source, Map<String, Outcome> outcomes)
      throws HostilePathException, IOException, InterruptedException {
    List<Applier.Pending> pending = new ArrayList<>();
    try (ExecutorService fsyncs = Executors.newFixedThreadPool(applier.fsyncThreads(), Thread.ofPlatform().daemon().name("tandem-fsync-", 0).factory())) {
      List<Future<?>> synced = new ArrayList<>();
      try {
        for (FileEntry e : files) {
          Applier.Pending p = write(e, source, outcomes);
          if (p != null) {
            pending.add(p);
            synced.add(fsyncs.submit(() -> {
              TempWriter.fsync(p.tmp());
              return null;
            }));
          }
        }
        awaitAll(synced, pending);
        installAll(pending, outcomes);
      } finally {
        for (Applier.Pending p : pending) {
          Files.deleteIfExists(p.tmp()); // only those never renamed
        }
      }
    }
  }

  /** Writes one file's temp copy (no fsync yet); null when the content already matches. */
  private Applier.Pending write(FileEntry e, ChunkSource source, Map<String, Outcome> outcomes)
      throws HostilePathException, IOException, InterruptedException {
    Path target = applier.prepare(e);
    Lstat before = Lstat.of(target);
    Verdict v = applier.judge().judge(e.path(), target, before, e);
    if (v == Verdict.SAME) {
      outcomes.put(e.path(), applier.unchanged(e, target));
      return null;
    }
    try {
      return new Applier.Pending(e, target, before, v, applier.writer().write(target, e, source, false));
    } catch (IOException ex) {
      throw IoFailure.of(e.path(), applier.root(), "writing the new content to a temporary file", ex);
    }
  }

  private void awaitAll(List<Future<?>> synced, List<Applier.Pending> pending) throws IOException, InterruptedException {
    for (int i = 0; i < synced.size(); i++) {
      try {
        synced.get(i).get();
      } catch (ExecutionException ex) {
        IOException cause = ex.getCause() instanceof IOException io ? io : new IOException(ex.getCause());
        throw IoFailure.of(pending.get(i).entry().path(), applier.root(), "fsync of the temporary file", cause);
      }
    }
  }

  /** Renames each file into place, fsyncs each touched directory once, then records them all. */
  private void installAll(List<Applier.Pending> pending, Map<String, Outcome> outcomes) throws IOException {
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
        outcomes.put(p.entry().path(), o);
        done.add(p);
        dirs.add(p.target().getParent());
        o.version().ifPresent(v -> dirs.add(applier.root().resolve(v).getParent()));
      }
    } finally {
      // Even when one rename failed, those before it are in place: make them durable and record them.
      for (Path d : dirs) {
        SafeTree.fsyncDirectory(d);
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
