package tandem.backup;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import tandem.filesync.Chunker;

/**
 * A restore test: files picked at random from a snapshot are restored into a scratch directory
 * the way {@code backup restore} does, and each is checked: its size is the recorded one, cutting
 * it again gives exactly the recorded chunks (so it is byte for byte what was backed up), and where
 * the live file is unchanged since the backup (same size and mtime), it equals the live file.
 */
public final class RestoreTest {
  private final Repository repo;

  public RestoreTest(Repository repo) {
    this.repo = repo;
  }

  /** What the test proved. */
  public record Report(String snapshot, int files, long bytes, int comparedWithLive, List<String> problems) {
    public boolean ok() {
      return problems.isEmpty();
    }
  }

  private record Picked(String source, Path live, Model.Node node, List<String> path) {}

  public Report run(Repository.StoredSnapshot snapshot, int sample, long seed) throws IOException {
    List<Picked> all = new ArrayList<>();
    for (Model.Source src : snapshot.snapshot().sources()) {
      collect(src.tree(), src.group() + ":" + src.path(), Path.of(src.path()), new ArrayList<>(), all);
    }
    Collections.shuffle(all, new Random(seed));
    List<Picked> chosen = all.subList(0, Math.min(sample, all.size()));
    List<String> problems = new ArrayList<>();
    long bytes = 0;
    int compared = 0;
    Path scratch = Files.createTempDirectory("tandem-restore-test-");
    try {
      int i = 0;
      for (Picked p : chosen) {
        Path out = scratch.resolve("f" + i++);
        try (var w = Files.newOutputStream(out)) {
          for (String id : p.node().content()) {
            w.write(repo.get(id));
          }
        } catch (IOException e) {
          problems.add(p.source() + "/" + String.join("/", p.path()) + ": " + e.getMessage());
          continue;
        }
        String where = p.source() + "/" + String.join("/", p.path());
        if (Files.size(out) != p.node().size()) {
          problems.add(where + ": restored " + Files.size(out) + " bytes, the snapshot says " + p.node().size());
          continue;
        }
        List<String> again = new ArrayList<>();
        try (FileChannel ch = FileChannel.open(out, StandardOpenOption.READ)) {
          Chunker.chunkBytes(ch, (offset, buf, start, length) -> again.add(repo.crypto().id(buf, start, length)));
        }
        if (!again.equals(p.node().content())) {
          problems.add(where + ": the restored bytes do not cut into the recorded chunks");
          continue;
        }
        bytes += p.node().size();
        if (unchanged(p)) {
          if (Files.mismatch(out, p.live()) != -1) {
            problems.add(where + ": differs from the live file although that has the size and mtime of the backup");
          } else {
            compared++;
          }
        }
      }
    } finally {
      try (var s = Files.walk(scratch)) {
        for (Path x : s.sorted(Collections.reverseOrder()).toList()) {
          Files.deleteIfExists(x);
        }
      }
      repo.closeReaders();
    }
    return new Report(snapshot.id(), chosen.size(), bytes, compared, problems);
  }

  private boolean unchanged(Picked p) {
    try {
      BasicFileAttributes a = Files.readAttributes(p.live(), BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
      return a.isRegularFile() && a.size() == p.node().size() && a.lastModifiedTime().to(TimeUnit.NANOSECONDS) == p.node().mtimeNanos();
    } catch (IOException e) {
      return false;
    }
  }

  private void collect(String treeId, String source, Path live, List<String> path, List<Picked> out) throws IOException {
    for (Model.Node n : repo.tree(treeId).nodes()) {
      List<String> here = new ArrayList<>(path);
      here.add(Restore.checked(n.name()));
      if ("file".equals(n.type())) {
        out.add(new Picked(source, live.resolve(String.join("/", here)), n, here));
      } else if (n.subtree() != null) {
        collect(n.subtree(), source, live, here, out);
      }
    }
  }
}
