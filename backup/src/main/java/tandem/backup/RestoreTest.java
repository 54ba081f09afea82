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
 *
 * <p>Database dumps are restored too, when a scratch server can be made for them: each dump of
 * each database resource streams from the repository into {@code pg_restore} on a throw-away
 * PostgreSQL, and every table of the restored database is then counted with a real query.
 */
public final class RestoreTest {
  private final Repository repo;

  public RestoreTest(Repository repo) {
    this.repo = repo;
  }

  /** What the test proved. */
  public record Report(String snapshot, int files, long bytes, int comparedWithLive, List<DatabaseProof> databases,
      List<String> problems) {
    public boolean ok() {
      return problems.isEmpty();
    }
  }

  /** One database dump restored into a scratch server and read back: its user tables and their rows. */
  public record DatabaseProof(String source, String database, long dumpBytes, int tables, long rows) {}

  /** Makes a scratch server for the dumps of database resource {@code label} (e.g. postgres-0) of {@code group}; null: none. */
  @FunctionalInterface
  public interface Scratches {
    tandem.db.postgres.ScratchPostgres start(String group, String label) throws IOException, tandem.db.DbException;

    /** A scratch MariaDB for the dumps of {@code label} (e.g. mariadb-0) of {@code group}; null: none. */
    default tandem.db.mariadb.ScratchMariadb startMariadb(String group, String label) throws IOException, tandem.db.DbException {
      return null;
    }

    /**
     * Starts the base backup unpacked in {@code data} (of resource {@code label} of {@code group})
     * until it is consistent, then stops it; false when this node has no such postgres resource.
     */
    default boolean startBase(String group, String label, Path data) throws IOException, tandem.db.DbException {
      return false;
    }

    Scratches NONE = (g, l) -> null;
  }

  private record Picked(String source, Path live, Model.Node node, List<String> path) {}

  public Report run(Repository.StoredSnapshot snapshot, int sample, long seed) throws IOException {
    return run(snapshot, sample, seed, Scratches.NONE);
  }

  /** Files as {@link #run(Repository.StoredSnapshot, int, long)}, and every database dump into a scratch server. */
  public Report run(Repository.StoredSnapshot snapshot, int sample, long seed, Scratches scratches) throws IOException {
    List<Picked> all = new ArrayList<>();
    List<String> problems = new ArrayList<>();
    List<DatabaseProof> proofs = new ArrayList<>();
    for (Model.Source src : snapshot.snapshot().sources()) {
      if ("postgres".equals(src.kind())) {
        databases(src, scratches, proofs, problems);
        base(src, scratches, proofs, problems);
        continue;
      }
      if ("mariadb".equals(src.kind()) || "mysql".equals(src.kind())) {
        mariadbDatabases(src, scratches, proofs, problems);
        continue;
      }
      collect(src.tree(), src.group() + ":" + src.path(), Path.of(src.path()), new ArrayList<>(), all);
    }
    Collections.shuffle(all, new Random(seed));
    List<Picked> chosen = all.subList(0, Math.min(sample, all.size()));
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
    return new Report(snapshot.id(), chosen.size(), bytes, compared, proofs, problems);
  }

  /** Loads each database's dump of one mariadb resource into a scratch server and counts what it holds (users.sql is not loaded). */
  private void mariadbDatabases(Model.Source src, Scratches scratches, List<DatabaseProof> proofs, List<String> problems) {
    String where = src.group() + "/" + src.path();
    try (tandem.db.mariadb.ScratchMariadb scratch = scratches.startMariadb(src.group(), src.path())) {
      if (scratch == null) {
        problems.add(where + ": no " + src.kind() + " resource of that name in this node's tandem.yaml, so no scratch server was made");
        return;
      }
      for (Model.Node n : repo.tree(src.tree()).nodes()) {
        if (!n.name().endsWith(".sql") || n.name().equals("users.sql")) {
          continue;
        }
        String db = n.name().substring(0, n.name().length() - ".sql".length());
        String err = DumpFeed.feed(repo, n, scratch.restore(db));
        if (err != null) {
          problems.add(where + "/" + n.name() + ": the " + src.kind() + " client failed: " + err);
          continue;
        }
        tandem.db.Scratch.Contents c = scratch.contents(db);
        proofs.add(new DatabaseProof(where, db, n.size(), c.tables(), c.rows()));
      }
    } catch (IOException | tandem.db.DbException e) {
      problems.add(where + ": " + e.getMessage());
    } finally {
      repo.closeReaders();
    }
  }

  /** Restores the dumps of one database resource into a scratch server and counts what they hold. */
  private void databases(Model.Source src, Scratches scratches, List<DatabaseProof> proofs, List<String> problems) {
    String where = src.group() + "/" + src.path();
    try (tandem.db.postgres.ScratchPostgres scratch = scratches.start(src.group(), src.path())) {
      if (scratch == null) {
        problems.add(where + ": no postgres resource of that name in this node's tandem.yaml, so no scratch server was made");
        return;
      }
      List<Model.Node> nodes = repo.tree(src.tree()).nodes();
      for (Model.Node n : nodes) {
        if (n.name().equals("globals.sql")) {
          String err = scratch.keepingAccess(() -> DumpFeed.feed(repo, n, scratch.psql()));
          if (err != null) {
            problems.add(where + "/globals.sql: " + err);
          }
        }
      }
      for (Model.Node n : nodes) {
        if (!n.name().endsWith(".pgdump")) {
          continue;
        }
        String db = n.name().substring(0, n.name().length() - ".pgdump".length());
        String err = DumpFeed.feed(repo, n, scratch.restore(db));
        if (err != null) {
          problems.add(where + "/" + n.name() + ": pg_restore failed: " + err);
          continue;
        }
        tandem.db.Scratch.Contents c = scratch.contents(db);
        proofs.add(new DatabaseProof(where, db, n.size(), c.tables(), c.rows()));
      }
    } catch (IOException | tandem.db.DbException e) {
      problems.add(where + ": " + e.getMessage());
    } finally {
      repo.closeReaders();
    }
  }

  /** The base backup of a pitr: on snapshot, unpacked into a scratch directory and started until consistent. */
  private void base(Model.Source src, Scratches scratches, List<DatabaseProof> proofs, List<String> problems) throws IOException {
    Model.Node base = repo.tree(src.tree()).nodes().stream().filter(n -> n.name().equals(Pitr.BASE) && n.type().equals("file"))
        .findFirst().orElse(null);
    if (base == null) {
      return;
    }
    String where = src.group() + "/" + src.path();
    Path dir = tandem.db.Scratch.directory("tandem-restore-test-base-");
    try {
      Path data = Files.createDirectories(dir.resolve("pg"));
      Process tar = new ProcessBuilder("tar", "-x", "-f", "-", "-C", data.toString()).redirectOutput(ProcessBuilder.Redirect.DISCARD)
          .start();
      String err = DumpFeed.feed(repo, base, tar);
      if (err != null) {
        problems.add(where + "/" + Pitr.BASE + ": unpacking failed: " + err);
      } else if (scratches.startBase(src.group(), src.path(), data)) {
        proofs.add(new DatabaseProof(where, Pitr.BASE, base.size(), -1, -1));
      }
    } catch (IOException | tandem.db.DbException e) {
      problems.add(where + "/" + Pitr.BASE + ": " + e.getMessage());
    } finally {
      tandem.db.Scratch.delete(dir);
      repo.closeReaders();
    }
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
