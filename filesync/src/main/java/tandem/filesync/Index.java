package tandem.filesync;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Consumer;

/**
 * A node's index of its replicated tree: for each path, the {@link FileEntry} it was when last
 * scanned or applied, the {@link LocalStat} that proves it unchanged since, and whether that
 * version is synced. It also finds any chunk in the tree by its hash ({@link #locate}), so a
 * replica copies chunks it already has instead of fetching them.
 *
 * <p><b>Memory.</b> A million entries must fit in well under 512 MiB with the locator. An entry is
 * kept as one flat {@code Slot} (chunks packed in a {@code long[]}) instead of the record graph
 * (Recorded, FileEntry, LocalStat, List, ChunkRef, Hash: six objects and a list for a one-chunk
 * file); records are rebuilt on each read. See {@link ChunkLocator} for the locator's layout.
 *
 * <p><b>Concurrency.</b> One lock guards the map and the locator, so a reader never sees an entry
 * whose chunks are not yet locatable. Slots are immutable, so {@link #save} copies references
 * under the lock and writes without it.
 *
 * <p>Paths sort in {@link String#compareTo} order; a directory sorts before everything under it.
 */
public final class Index implements Baseline {
  private final TreeMap<String, Slot> slots = new TreeMap<>();
  private final ChunkLocator locator = new ChunkLocator();
  private long totalBytes;

  /** An empty index. */
  public Index() {}

  @Override
  public synchronized Recorded recorded(String path) {
    Slot slot = slots.get(path);
    return slot == null ? null : slot.toRecorded();
  }

  /** Records {@code entry} with its local {@code stat}, replacing what the index held for its path. */
  public synchronized void put(FileEntry entry, LocalStat stat, boolean synced) {
    Slot old = slots.get(entry.path());
    // Reuse the key instance the map already holds: the locator points at it, saving a copy.
    String path = old == null ? entry.path() : old.path();
    if (old != null) {
      unlinkChunks(old);
    }
    link(Slot.of(path, entry, stat, synced));
  }

  @Override
  public void applied(FileEntry entry, LocalStat stat) {
    put(entry, stat, true);
  }

  @Override
  public synchronized void removed(String path) {
    Slot old = slots.remove(path);
    if (old != null) {
      unlinkChunks(old);
    }
  }

  /**
   * Marks {@code path} synced if the index still holds exactly {@code version} for it; returns
   * false (and changes nothing) when the path changed or went away since that version was sent.
   */
  public synchronized boolean setSynced(String path, FileEntry version) {
    Slot slot = slots.get(path);
    if (slot == null || !slot.toEntry().equals(version)) {
      return false;
    }
    slots.put(path, slot.withSynced(true));
    return true;
  }

  /**
   * Forgets every path strictly under directory {@code dir} ("" for the root); {@code dir} itself
   * stays. Returns the removed paths, children before their parents.
   */
  public synchronized List<String> removeUnder(String dir) {
    Map<String, Slot> under = dir.isEmpty() ? slots : slots.subMap(dir + "/", dir + "0"); // '0' = '/' + 1
    List<String> removed = new ArrayList<>(under.keySet());
    for (Slot slot : under.values()) {
      unlinkChunks(slot);
    }
    under.clear();
    Collections.reverse(removed);
    return removed;
  }

  /** What the index holds at {@code path} and under it (when it is a directory), in path order. */
  public synchronized List<Recorded> atAndUnder(String path) {
    List<Recorded> out = new ArrayList<>();
    Slot at = slots.get(path);
    if (at != null) {
      out.add(at.toRecorded());
    }
    for (Slot s : slots.subMap(path + "/", path + "0").values()) {
      out.add(s.toRecorded());
    }
    return out;
  }

  /**
   * The names (last segments) of the paths the index holds directly under {@code dir} ("" for
   * the root), sorted. Costs a tree lookup per child, not a visit of the whole subtree.
   */
  public synchronized List<String> children(String dir) {
    String prefix = dir.isEmpty() ? "" : dir + "/";
    TreeSet<String> names = new TreeSet<>();
    String key = slots.ceilingKey(prefix);
    while (key != null && key.startsWith(prefix)) {
      int slash = key.indexOf('/', prefix.length());
      if (slash < 0) {
        names.add(key.substring(prefix.length()));
        key = slots.higherKey(key);
      } else {
        // A descendant: all of child's descendants lie in [child + "/", child + "0"), but not
        // right after child itself ("x-y" sorts between "x" and "x/1"), hence the set.
        String child = key.substring(0, slash);
        names.add(child.substring(prefix.length()));
        key = slots.ceilingKey(child + "0");
      }
    }
    return new ArrayList<>(names);
  }

  /**
   * Gives every entry to {@code action} in path order while holding the index's lock: the action
   * must be quick (use {@link #page} to stream an index over a network).
   */
  public synchronized void forEach(Consumer<? super Recorded> action) {
    for (Slot slot : slots.values()) {
      action.accept(slot.toRecorded());
    }
  }

  /** Up to {@code max} entries in path order, starting after {@code afterPath} (null: from the first). */
  public synchronized List<Recorded> page(String afterPath, int max) {
    Map<String, Slot> tail = afterPath == null ? slots : slots.tailMap(afterPath, false);
    List<Recorded> page = new ArrayList<>(Math.min(max, tail.size()));
    for (Slot slot : tail.values()) {
      if (page.size() == max) {
        break;
      }
      page.add(slot.toRecorded());
    }
    return page;
  }

  /** The number of paths held. */
  public synchronized int size() {
    return slots.size();
  }

  /** The sum of the sizes of the files held. */
  public synchronized long totalBytes() {
    return totalBytes;
  }

  /**
   * A place in the local tree that held a chunk with {@code hash} when last scanned or applied,
   * preferring a synced entry (a file with unsynced local changes may be rewritten soon).
   */
  public synchronized Optional<ChunkLocation> locate(Hash hash) {
    ChunkLocation[] found = new ChunkLocation[2]; // [synced, any]
    locator.find(hash.a(), (path, number) -> {
      Slot slot = slots.get(path);
      if (slot == null || !slot.chunkHashEquals(number, hash)) {
        return false; // a different chunk whose first 8 bytes collide
      }
      ChunkLocation location = new ChunkLocation(path, slot.chunkOffset(number), slot.chunkLength(number));
      found[slot.synced() ? 0 : 1] = location;
      return slot.synced();
    });
    return Optional.ofNullable(found[0] != null ? found[0] : found[1]);
  }

  /**
   * Writes the index to {@code file} atomically: a crash leaves either the old file or the new one,
   * never a mix. See {@link IndexFile} for the format.
   */
  public void save(Path file) throws IOException {
    Slot[] snapshot;
    synchronized (this) {
      snapshot = slots.values().toArray(new Slot[0]);
    }
    IndexFile.write(file, snapshot);
  }

  /**
   * Reads an index written by {@link #save}.
   *
   * @throws java.nio.file.NoSuchFileException when there is no index yet
   * @throws CorruptIndexException when the file is truncated, damaged or of an unknown
   *     version; its message says the index will be rebuilt by a full scan
   */
  public static Index load(Path file) throws IOException {
    Index index = new Index();
    IndexFile.read(file, index::link);
    return index;
  }

  /** Adds a slot whose path is not in the map. */
  private void link(Slot slot) {
    slots.put(slot.path(), slot);
    totalBytes += slot.fileBytes();
    long[] chunks = slot.chunks();
    for (int i = 0; i < slot.chunkCount(); i++) {
      locator.add(chunks[i * Slot.LONGS_PER_CHUNK], slot.path(), i);
    }
  }

  private void unlinkChunks(Slot slot) {
    totalBytes -= slot.fileBytes();
    long[] chunks = slot.chunks();
    for (int i = 0; i < slot.chunkCount(); i++) {
      locator.remove(chunks[i * Slot.LONGS_PER_CHUNK], slot.path(), i);
    }
  }

  /** The flat entry for {@code path}, or null: lets the scanner compare stats without building records. */
  synchronized Slot slot(String path) {
    return slots.get(path);
  }

  /** For tests of the locator's upkeep. */
  synchronized int locatedChunks() {
    return locator.size();
  }
}
