package tandem.filesync;

/**
 * An open-addressing multimap from a chunk's hash to the (path, chunk number) pairs that hold it.
 *
 * <p>Why not a {@code HashMap<Hash, ...>}: with a million chunks, boxed keys, nodes and values cost
 * about 100 bytes a chunk; this table costs 16 bytes a slot (the hash's first long, a reference to
 * the path string the index already holds, and the chunk number), about 24 bytes a chunk at its
 * load factor. The first long of a SHA-256 is already uniformly spread, so it is its own hash code;
 * the index checks the full hash on lookup. A chunk held by several files has one pair per file, so
 * deleting one of them does not lose the others.
 *
 * <p>Linear probing with backward-shift deletion (no tombstones, so lookups stay short after many
 * deletions). Not thread-safe: {@link Index} guards it with its lock.
 */
final class ChunkLocator {
  private static final int MIN_CAPACITY = 16;

  private long[] keys;
  private String[] paths;
  private int[] numbers;
  private int size;

  ChunkLocator() {
    allocate(MIN_CAPACITY);
  }

  /** Records that chunk {@code number} of {@code path} has a hash whose first long is {@code key}. */
  void add(long key, String path, int number) {
    if ((size + 1) * 10L > keys.length * 7L) {
      grow();
    }
    insert(key, path, number);
    size++;
  }

  /** Forgets the pair added for ({@code key}, {@code path}, {@code number}); no-op if absent. */
  void remove(long key, String path, int number) {
    int mask = keys.length - 1;
    for (int i = home(key, mask); paths[i] != null; i = (i + 1) & mask) {
      if (keys[i] == key && numbers[i] == number && paths[i].equals(path)) {
        deleteAt(i);
        size--;
        return;
      }
    }
  }

  /** Calls {@code visitor} for each pair whose key is {@code key} until it returns true. */
  void find(long key, Visitor visitor) {
    int mask = keys.length - 1;
    for (int i = home(key, mask); paths[i] != null; i = (i + 1) & mask) {
      if (keys[i] == key && visitor.visit(paths[i], numbers[i])) {
        return;
      }
    }
  }

  int size() {
    return size;
  }

  @FunctionalInterface
  interface Visitor {
    /** Returns true to stop the search. */
    boolean visit(String path, int number);
  }

  private void insert(long key, String path, int number) {
    int mask = keys.length - 1;
    int i = home(key, mask);
    while (paths[i] != null) {
      i = (i + 1) & mask;
    }
    keys[i] = key;
    paths[i] = path;
    numbers[i] = number;
  }

  /** Empties slot {@code i}, moving later entries of the probe run back so none is cut off. */
  private void deleteAt(int i) {
    int mask = keys.length - 1;
    int hole = i;
    for (int j = (i + 1) & mask; paths[j] != null; j = (j + 1) & mask) {
      int home = home(keys[j], mask);
      // Move j into the hole unless its home lies cyclically in (hole, j].
      boolean homeBetween = hole <= j ? (hole < home && home <= j) : (hole < home || home <= j);
      if (!homeBetween) {
        keys[hole] = keys[j];
        paths[hole] = paths[j];
        numbers[hole] = numbers[j];
        hole = j;
      }
    }
    paths[hole] = null;
  }

  private void grow() {
    long[] oldKeys = keys;
    String[] oldPaths = paths;
    int[] oldNumbers = numbers;
    allocate(keys.length * 2);
    for (int i = 0; i < oldKeys.length; i++) {
      if (oldPaths[i] != null) {
        insert(oldKeys[i], oldPaths[i], oldNumbers[i]);
      }
    }
  }

  private void allocate(int capacity) {
    keys = new long[capacity];
    paths = new String[capacity];
    numbers = new int[capacity];
  }

  private static int home(long key, int mask) {
    return (int) (key ^ (key >>> 32)) & mask;
  }
}
