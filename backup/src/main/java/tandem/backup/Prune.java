package tandem.backup;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Removes what no snapshot needs: packs holding only unused blobs are deleted, packs holding some
 * are rewritten with the used ones (copied sealed, without decrypting). Order for crash safety:
 * new packs, then one new index listing everything kept, then the old index files, then the old
 * packs. A kill -9 anywhere leaves every snapshot complete (at worst extra packs, removed next time).
 * Needs the exclusive lock.
 */
public final class Prune {
  private final Repository repo;

  public Prune(Repository repo) {
    this.repo = repo;
  }

  public record Result(int packsDeleted, int packsRewritten, int blobsRemoved, long bytesFreed, int unindexedRemoved) {}

  public Result run(boolean dryRun) throws IOException {
    Set<String> used = repo.reachable(repo.snapshots());
    Store store = repo.store();
    List<String> oldIndexes = repo.list("index");
    List<Model.IndexPack> keep = new ArrayList<>();
    List<String> drop = new ArrayList<>();
    List<Model.IndexPack> rewrite = new ArrayList<>();
    Set<String> placed = new HashSet<>();
    Set<String> indexedPacks = new HashSet<>();
    int removed = 0;
    for (String f : oldIndexes) {
      for (Model.IndexPack p : repo.readIndex(f).packs()) {
        indexedPacks.add(p.pack());
        List<Model.IndexBlob> wanted = new ArrayList<>();
        for (Model.IndexBlob b : p.blobs()) {
          if (used.contains(b.id()) && placed.add(b.id())) {
            wanted.add(b);
          } else {
            removed++;
          }
        }
        if (wanted.isEmpty()) {
          drop.add(p.pack());
        } else if (wanted.size() == p.blobs().size()) {
          keep.add(p);
        } else {
          rewrite.add(new Model.IndexPack(p.pack(), wanted));
          drop.add(p.pack());
        }
      }
    }
    List<String> unindexed = new ArrayList<>();
    java.util.Map<String, Long> sizes = new java.util.HashMap<>();
    for (Store.Entry p : store.list("data")) {
      sizes.put(p.id(), p.size());
      if (!indexedPacks.contains(p.id())) {
        unindexed.add(p.id());
      }
    }
    long freed = 0;
    for (String p : drop) {
      freed += sizes.getOrDefault(p, 0L);
    }
    for (String p : unindexed) {
      freed += sizes.get(p);
    }
    if (dryRun) {
      return new Result(drop.size() - rewrite.size(), rewrite.size(), removed, freed, unindexed.size());
    }
    for (Model.IndexPack p : rewrite) {
      keep.add(copy(p));
      CrashPoint.reached("prune-after-new-pack");
    }
    if (!drop.isEmpty() || !rewrite.isEmpty() || oldIndexes.size() > 1) {
      String fresh = repo.writeIndex(new Model.IndexFile(keep));
      CrashPoint.reached("prune-after-new-index");
      for (String f : oldIndexes) {
        if (!f.equals(fresh)) {
          store.delete(f);
          CrashPoint.reached("prune-after-deleting-an-index");
        }
      }
      store.syncDeletes("index");
    }
    // Packs are named by their content: a pack rewritten now can have the name of one an interrupted
    // prune left behind, so nothing the new index lists is deleted.
    Set<String> listed = new HashSet<>();
    keep.forEach(p -> listed.add(p.pack()));
    for (String p : drop) {
      if (!listed.contains(p)) {
        store.delete(Repository.packName(p));
        CrashPoint.reached("prune-after-deleting-a-pack");
      }
    }
    for (String p : unindexed) {
      if (!listed.contains(p)) {
        store.delete(Repository.packName(p));
      }
    }
    return new Result(drop.size() - rewrite.size(), rewrite.size(), removed, freed, unindexed.size());
  }

  /** Writes the used blobs of a pack into a new pack, as they are (still sealed). */
  private Model.IndexPack copy(Model.IndexPack p) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    List<Model.IndexBlob> blobs = new ArrayList<>();
    byte[] old = repo.store().read(Repository.packName(p.pack()));
    for (Model.IndexBlob b : p.blobs()) {
      if (b.offset() + b.length() > old.length) {
        throw new CorruptException("pack " + p.pack().substring(0, 12) + " is truncated; run `tandem backup verify`");
      }
      blobs.add(new Model.IndexBlob(b.id(), b.type(), out.size(), b.length()));
      out.write(old, (int) b.offset(), b.length());
    }
    byte[] bytes = out.toByteArray();
    String name = repo.packName(bytes, bytes.length, blobs);
    repo.store().write(Repository.packName(name), bytes);
    return new Model.IndexPack(name, blobs);
  }
}
