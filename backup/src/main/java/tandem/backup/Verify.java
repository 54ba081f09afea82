package tandem.backup;

import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

/**
 * Checks a repository: every index file opens, every pack an index names exists and is long
 * enough, every snapshot's trees open and every blob they name is indexed; and, for the given
 * share of packs, reads every byte: the pack must hash to its name ({@link Repository.PackHash}), every byte must be
 * in a blob, every blob must decrypt (AES-GCM authenticates it) to content whose keyed hash is its id. Says what it
 * proved.
 */
public final class Verify {
  private final Repository repo;

  public Verify(Repository repo) {
    this.repo = repo;
  }

  /** What reading one pack found: bytes read (-1 if absent), problems, damaged blob ids. */
  private record PackCheck(long bytes, List<String> problems, Set<String> bad) {}

  /**
   * Reads a pack whole: its hash must be its name, its blobs must cover it; each blob must authenticate and match its id.
   * The pack is read as a stream, blob after blob, so a check holds one blob in memory, not a
   * whole pack (two 16 MiB packs at a time grew the heap to 700 MiB).
   */
  private PackCheck readPack(String pack, List<Model.IndexBlob> listed) throws IOException {
    List<String> problems = new ArrayList<>();
    Set<String> bad = new HashSet<>();
    List<Model.IndexBlob> blobs = new ArrayList<>(new java.util.LinkedHashSet<>(listed)); // a pack in two indexes
    blobs.sort(java.util.Comparator.comparingLong(Model.IndexBlob::offset));
    Repository.PackHash sha = new Repository.PackHash(repo.version());
    long at = 0;
    long outside = 0; // bytes in no blob
    byte[] buf = new byte[256 << 10];
    // Each blob's plain bytes are only hashed: opened into one array per pack, not a new one per blob.
    byte[][] plainBuf = {new byte[0]};
    java.util.function.IntFunction<byte[]> plainArray = n -> plainBuf[0].length >= n ? plainBuf[0] : (plainBuf[0] = new byte[n]);
    try (var in = repo.store().stream(Repository.packName(pack))) {
      for (Model.IndexBlob b : blobs) {
        if (b.offset() < at) {
          problems.add("blob " + b.id().substring(0, 12) + " in pack " + pack.substring(0, 12) + " overlaps the one before it"
              + " in the index");
          bad.add(b.id());
          continue;
        }
        long gap = digest(in, sha, b.offset() - at, buf);
        at += gap;
        outside += gap;
        if (at < b.offset()) {
          break; // truncated: reported with the structure
        }
        if (buf.length < b.length()) {
          buf = new byte[b.length()];
        }
        int got = in.readNBytes(buf, 0, b.length());
        sha.bytes(buf, 0, got);
        at += got;
        if (got < b.length()) {
          break; // truncated: reported with the structure
        }
        sha.blob(buf, 0, got);
        try {
          Crypto.Plain plain = repo.crypto().openTo(buf, 0, got, b.id(), "blob " + b.id().substring(0, 12), plainArray);
          if (!repo.crypto().id(plain.bytes(), 0, plain.length()).equals(b.id())) {
            problems.add("blob " + b.id().substring(0, 12) + " in pack " + pack.substring(0, 12) + " holds other content than its id");
            bad.add(b.id());
          }
        } catch (CorruptException e) {
          problems.add(e.getMessage() + " (pack " + pack.substring(0, 12) + ")");
          bad.add(b.id());
        }
      }
      long trailing = digest(in, sha, Long.MAX_VALUE, buf);
      at += trailing;
      outside += trailing;
    } catch (java.nio.file.NoSuchFileException e) {
      return new PackCheck(-1, problems, bad); // reported with the structure
    }
    if (!sha.name().equals(pack)) {
      problems.add("pack " + pack.substring(0, 12) + " does not hash to its name: its bytes changed in storage ("
          + repo.store().describe(Repository.packName(pack)) + ")");
    }
    if (outside > 0) {
      problems.add("pack " + pack.substring(0, 12) + " holds " + outside + " bytes that are in none of its blobs: bytes were"
          + " added in storage (" + repo.store().describe(Repository.packName(pack)) + ")");
    }
    return new PackCheck(at, problems, bad);
  }

  /** Reads up to {@code n} bytes of {@code in} into the digest; returns how many there were. */
  private static long digest(java.io.InputStream in, Repository.PackHash sha, long n, byte[] buf) throws IOException {
    long done = 0;
    while (done < n) {
      int got = in.read(buf, 0, (int) Math.min(buf.length, n - done));
      if (got < 0) {
        break;
      }
      sha.bytes(buf, 0, got);
      done += got;
    }
    return done;
  }

  /** Adds to {@code hit} the paths under tree {@code id} whose content or listing is in {@code bad}. */
  private void affected(String id, String path, Set<String> bad, List<String> hit) {
    if (bad.contains(id)) {
      hit.add(path + "/ (the directory listing)");
      return;
    }
    Model.Tree tree;
    try {
      tree = repo.tree(id);
    } catch (IOException e) {
      hit.add(path + "/ (" + e.getMessage() + ")");
      return;
    }
    for (Model.Node n : tree.nodes()) {
      if (n.content() != null && n.content().stream().anyMatch(bad::contains)) {
        hit.add(path + "/" + n.name());
      }
      if (n.subtree() != null) {
        affected(n.subtree(), path + "/" + n.name(), bad, hit);
      }
    }
  }

  /** What was checked and what is wrong. */
  public record Report(int snapshots, int packs, int blobs, int packsRead, long bytesRead, int unindexedPacks,
      List<String> problems) {
    public boolean ok() {
      return problems.isEmpty();
    }
  }

  /** Verifies; {@code readDataPercent} of the packs (0-100, at least one pack when above 0) are read whole. */
  public Report run(double readDataPercent, long seed) throws IOException {
    List<String> problems = new ArrayList<>();
    Set<String> bad = new HashSet<>();
    Map<String, Long> packEnds = new HashMap<>();
    Map<String, List<Model.IndexBlob>> packBlobs = new HashMap<>();
    int blobs = 0;
    for (String f : repo.list("index")) {
      try {
        for (Model.IndexPack p : repo.readIndex(f).packs()) {
          for (Model.IndexBlob b : p.blobs()) {
            packEnds.merge(p.pack(), b.offset() + b.length(), Math::max);
            packBlobs.computeIfAbsent(p.pack(), k -> new ArrayList<>()).add(b);
            blobs++;
          }
        }
      } catch (IOException e) {
        problems.add("index " + f.substring(f.lastIndexOf('/') + 1) + ": " + e.getMessage());
      }
    }
    Map<String, Long> stored = new HashMap<>();
    for (Store.Entry p : repo.store().list("data")) {
      stored.put(p.id(), p.size());
    }
    for (var e : packEnds.entrySet()) {
      Long size = stored.get(e.getKey());
      String where = repo.store().describe(Repository.packName(e.getKey()));
      if (size == null) {
        problems.add("pack " + e.getKey().substring(0, 12) + " is missing (" + where + ")");
        packBlobs.get(e.getKey()).forEach(b -> bad.add(b.id()));
      } else if (size < e.getValue()) {
        problems.add("pack " + e.getKey().substring(0, 12) + " is truncated: " + size + " bytes, its index needs "
            + e.getValue() + " (" + where + ")");
        packBlobs.get(e.getKey()).stream().filter(b -> b.offset() + b.length() > size).forEach(b -> bad.add(b.id()));
      }
    }
    Set<String> onDisk = stored.keySet();
    int unindexed = (int) onDisk.stream().filter(p -> !packEnds.containsKey(p)).count();
    List<Repository.StoredSnapshot> snapshots = new ArrayList<>();
    try {
      snapshots = repo.snapshots();
    } catch (IOException e) {
      problems.add("snapshots: " + e.getMessage());
    }
    for (Repository.StoredSnapshot s : snapshots) {
      try {
        for (String id : repo.reachable(List.of(s))) {
          if (!repo.blobs().containsKey(id)) {
            problems.add("snapshot " + s.id().substring(0, 8) + " needs blob " + id.substring(0, 12) + ", which no index lists");
          }
        }
      } catch (IOException e) {
        problems.add("snapshot " + s.id().substring(0, 8) + ": " + e.getMessage());
      }
    }
    List<String> packs = new ArrayList<>(packEnds.keySet());
    packs.sort(null);
    java.util.Collections.shuffle(packs, new Random(seed));
    int toRead = readDataPercent <= 0 ? 0 : (int) Math.max(1, Math.ceil(packs.size() * readDataPercent / 100.0));
    long bytesRead = 0;
    int read = 0;
    List<String> chosen = packs.subList(0, Math.min(toRead, packs.size()));
    int threads = Math.max(2, Runtime.getRuntime().availableProcessors());
    try (var pool = java.util.concurrent.Executors.newFixedThreadPool(threads, Thread.ofPlatform().daemon().name("verify-", 0).factory())) {
      List<java.util.concurrent.Future<PackCheck>> checks = new ArrayList<>();
      for (String pack : chosen) {
        checks.add(pool.submit(() -> readPack(pack, packBlobs.get(pack))));
      }
      for (var f : checks) {
        PackCheck c;
        try {
          c = f.get();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new java.io.InterruptedIOException("interrupted while verifying");
        } catch (java.util.concurrent.ExecutionException e) {
          throw e.getCause() instanceof IOException io ? io : new IOException(e.getCause());
        }
        if (c.bytes() >= 0) {
          read++;
          bytesRead += c.bytes();
        }
        problems.addAll(c.problems());
        bad.addAll(c.bad());
      }
    }
    if (!bad.isEmpty()) {
      for (Repository.StoredSnapshot snap : snapshots) {
        List<String> hit = new ArrayList<>();
        for (Model.Source src : snap.snapshot().sources()) {
          affected(src.tree(), src.group() + ":" + src.path(), bad, hit);
        }
        if (!hit.isEmpty()) {
          problems.add("snapshot " + snap.id().substring(0, 8) + " (" + snap.snapshot().time() + ") is damaged at: "
              + String.join(", ", hit.subList(0, Math.min(20, hit.size()))) + (hit.size() > 20 ? " and " + (hit.size() - 20)
              + " more" : "") + "; its other files restore");
        }
      }
    }
    return new Report(snapshots.size(), packEnds.size(), blobs, read, bytesRead, unindexed, problems);
  }
}
