package tandem.backup;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * A backup repository in a {@link Store} (a directory on local disk or NFS, or an S3 bucket):
 * content-defined chunks of files and the trees that list them, deduplicated by keyed hash across
 * files, snapshots and groups, compressed and encrypted (see {@link Crypto}), gathered in pack
 * files of about {@link #PACK_BYTES}, found through index files, and named by snapshots. The format is written down in
 * docs/backup-format.md; {@link #FORMAT} is its version.
 *
 * <p><b>Crash safety.</b> Every file is written whole or not at all ({@link Store#write}: in a
 * directory a temporary name, fsync and rename; on S3 one PUT or one completed multipart upload): a pack before the index that lists
 * it, an index before the snapshot that needs it. A kill -9 at any point leaves at worst packs or
 * indexes nothing refers to yet, which {@code prune} removes; no complete snapshot ever refers to
 * something missing.
 *
 * <p>One backup, restore or prune per instance. {@link #seal}, {@link #add}, {@link #put} and
 * {@link #get} may be called from several threads (a backup seals and adds chunks on several);
 * the rest is not thread-safe.
 */
public final class Repository {
  /**
   * The format this tandem writes into a new repository. It reads, writes and verifies format 1 too (packs named
   * by the SHA-256 of the whole file), writing a format-1 repository's new packs the same way, so a tandem that only
   * knows format 1 can still verify them.
   */
  public static final int FORMAT = 2;
  static final long PACK_BYTES = 16L << 20;
  static final String DATA = "data";
  static final String TREE = "tree";
  static final String CHUNKER = "fastcdc-16k-64k-256k-tandemCD";
  static final ObjectMapper JSON = new ObjectMapper().configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

  private final Store store;
  private final Crypto crypto;
  private final Model.Config config;
  /** Every blob the index files list: id -> where. */
  private final Map<String, Where> index = new java.util.concurrent.ConcurrentHashMap<>();
  /** Blobs written by this instance and not yet in an index file. */
  private final List<Model.IndexPack> unindexed = new ArrayList<>();
  private final Map<String, Where> pendingBlobs = new java.util.concurrent.ConcurrentHashMap<>();
  /** The pack being filled: {@code packSize} bytes of {@code pack}. */
  private byte[] pack = new byte[0];
  private int packSize;
  private List<Model.IndexBlob> packBlobs = new ArrayList<>();
  /**
   * Packs being hashed and written, oldest first, each on a thread of its own: chunks keep being
   * sealed meanwhile. At most {@link #WRITES_AHEAD} at a time, so at most that many packs in memory.
   */
  private final java.util.ArrayDeque<java.util.concurrent.FutureTask<Model.IndexPack>> writing = new java.util.ArrayDeque<>();
  static final int WRITES_AHEAD = 2;
  /** Pack buffers written and free again: a backup fills the same few instead of a new 17 MiB array per pack. */
  private final java.util.concurrent.ConcurrentLinkedQueue<byte[]> freeBuffers = new java.util.concurrent.ConcurrentLinkedQueue<>();
  private long bytesWritten;

  /** Where a blob is. */
  record Where(String pack, String type, long offset, int length) {}

  private Repository(Store store, Crypto crypto, Model.Config config) {
    this.store = store;
    this.crypto = crypto;
    this.config = config;
  }

  /** Creates a repository in directory {@code root} (missing or empty) with keys sealed under {@code password}. */
  public static Repository init(Path root, char[] password) throws IOException {
    return init(new LocalStore(root), password);
  }

  /** Creates a repository in {@code store} (empty) with keys sealed under {@code password}. */
  public static Repository init(Store store, char[] password) throws IOException {
    return init(store, password, KeyFile.DEFAULT_MEMORY_KIB, KeyFile.DEFAULT_ITERATIONS);
  }

  static Repository init(Path root, char[] password, int kdfMemoryKib, int kdfIterations) throws IOException {
    return init(new LocalStore(root), password, kdfMemoryKib, kdfIterations);
  }

  static Repository init(Store store, char[] password, int kdfMemoryKib, int kdfIterations) throws IOException {
    return init(store, password, kdfMemoryKib, kdfIterations, FORMAT);
  }

  /** How long a creation waits for another process's creation of the same repository to end (tests shorten it). */
  static long creationWaitMillis = 30_000;

  /** A repository of format {@code version} (1 or {@link #FORMAT}): tests make format-1 repositories with it. */
  static Repository init(Store store, char[] password, int kdfMemoryKib, int kdfIterations, int version) throws IOException {
    if (version < 1 || version > FORMAT) {
      throw new IllegalArgumentException("format " + version);
    }
    if (store.exists("config")) {
      throw new FileAlreadyExistsException(store + " already holds a tandem repository");
    }
    if (!store.isEmpty()) {
      if (store.exists("keys") || !store.list("keys").isEmpty()) {
        return createdByAnother(store, password); // another backup is making this repository now
      }
      throw new IOException(store + " is not empty and holds no tandem repository; choose an empty or new "
          + (store instanceof LocalStore ? "directory" : "prefix"));
    }
    store.create();
    byte[] dataKey = Crypto.random(Crypto.KEY_BYTES);
    byte[] idKey = Crypto.random(Crypto.KEY_BYTES);
    KeyFile key = KeyFile.create(password, dataKey, idKey, kdfMemoryKib, kdfIterations);
    String keyName = "keys/" + Durable.hex(Crypto.random(16));
    store.write(keyName, JSON.writeValueAsBytes(key));
    Model.Config config = new Model.Config(version, UUID.randomUUID().toString(), CHUNKER);
    if (!store.create("config", JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(config))) {
      // Another backup made the repository at the same moment (two first backups into one directory): its config won.
      // This key file goes, or a later open could take these keys, which opened nothing of the repository.
      store.delete(keyName);
      store.syncDeletes("keys");
      return open(store, password);
    }
    return new Repository(store, new Crypto(dataKey, idKey), config);
  }

  /**
   * The repository another process is creating in {@code store} (its key files come before its config, which ends the
   * creation; a key derivation takes well under a second), opened once its config is there; at most
   * {@link #creationWaitMillis}.
   */
  private static Repository createdByAnother(Store store, char[] password) throws IOException {
    long until = System.nanoTime() + java.util.concurrent.TimeUnit.MILLISECONDS.toNanos(creationWaitMillis);
    while (!store.exists("config")) {
      if (System.nanoTime() > until) {
        throw new IOException(store + " holds the start of a tandem repository but no config file: the backup that was"
            + " creating it stopped before the end. If no backup is running, empty it (it holds no snapshot) and run"
            + " again");
      }
      try {
        Thread.sleep(100);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new java.io.InterruptedIOException("interrupted while another backup creates " + store);
      }
    }
    return open(store, password);
  }

  /** Opens the repository in directory {@code root}; {@link WrongPasswordException} when no key file opens. */
  public static Repository open(Path root, char[] password) throws IOException {
    return open(new LocalStore(root), password);
  }

  /** Opens the repository in {@code store}; {@link WrongPasswordException} when no key file opens. */
  public static Repository open(Store store, char[] password) throws IOException {
    warmUp();
    byte[] configFile;
    try {
      configFile = store.read("config");
    } catch (NoSuchFileException e) {
      throw new NoSuchFileException(store + " holds no tandem repository (no config file): check the repository "
          + (store instanceof LocalStore ? "path" : "location") + " in tandem.yaml; a new one is made by the first `tandem backup run`");
    }
    Model.Config config = JSON.readValue(configFile, Model.Config.class);
    if (config.version() < 1 || config.version() > FORMAT) {
      throw new CorruptException(store + " is a repository of format version " + config.version() + "; this tandem reads "
          + "versions 1 to " + FORMAT + (config.version() > FORMAT ? ": use the newer tandem that made it" : ""));
    }
    Crypto crypto = null;
    for (Store.Entry k : store.list("keys")) {
      try {
        crypto = JSON.readValue(store.read(k.name()), KeyFile.class).open(password);
        break;
      } catch (WrongPasswordException wrong) {
        // try the next key file
      }
    }
    if (crypto == null) {
      throw new WrongPasswordException();
    }
    Repository r = new Repository(store, crypto, config);
    r.loadIndex();
    return r;
  }

  private static final java.util.concurrent.atomic.AtomicBoolean WARMED = new java.util.concurrent.atomic.AtomicBoolean();

  /**
   * Once per process, on a second thread: loads and links what opening, backing up and restoring
   * use next (zstd's native library, the JSON (de)serializers of the format, AES-GCM) while this
   * thread spends its time in the memory-hard key derivation. A command that opens a repository
   * starts that much sooner on two cores; a failure here surfaces again on real use.
   */
  private static void warmUp() {
    if (!WARMED.compareAndSet(false, true)) {
      return;
    }
    Thread.ofPlatform().daemon().name("repository-warm-up").start(() -> {
      try {
        byte[] plain = JSON.writeValueAsBytes(new Model.Tree(List.of(new Model.Node("a", "file", 0644, 1, 2, null,
            List.of("0".repeat(64)), null, 3L, 4L))));
        new Crypto(new byte[Crypto.KEY_BYTES], new byte[Crypto.KEY_BYTES]).open(
            new Crypto(new byte[Crypto.KEY_BYTES], new byte[Crypto.KEY_BYTES]).seal(plain, "tree"), "tree", "warm-up");
        JSON.readValue(plain, Model.Tree.class);
        JSON.readValue(JSON.writeValueAsBytes(new Model.IndexFile(List.of(new Model.IndexPack("p", List.of(
            new Model.IndexBlob("b", DATA, 0, 1)))))), Model.IndexFile.class);
        JSON.readValue(JSON.writeValueAsBytes(new Model.Snapshot(1, "t", "h", "b", List.of(new Model.Source("g", "files",
            "/", "t")), 0, 0)), Model.Snapshot.class);
      } catch (IOException | RuntimeException | LinkageError e) {
        // only a warm-up
      }
    });
  }

  /** Where the repository's files are. */
  public Store store() {
    return store;
  }

  public String id() {
    return config.id();
  }

  /** The repository's format version (docs/backup-format.md): it decides how packs are named. */
  int version() {
    return config.version();
  }

  Crypto crypto() {
    return crypto;
  }

  /** Bytes written to pack files by this instance (after compression and encryption). */
  public long bytesWritten() {
    return bytesWritten;
  }

  private void loadIndex() throws IOException {
    index.clear();
    for (String f : list("index")) {
      Model.IndexFile file = readIndex(f);
      for (Model.IndexPack p : file.packs()) {
        for (Model.IndexBlob b : p.blobs()) {
          index.put(b.id(), new Where(p.pack(), b.type(), b.offset(), b.length()));
        }
      }
    }
  }

  Model.IndexFile readIndex(String f) throws IOException {
    byte[] plain = crypto.open(store.read(f), "index", "index file " + f.substring(f.lastIndexOf('/') + 1));
    return JSON.readValue(plain, Model.IndexFile.class);
  }

  /** The names of the files of a top-level directory of the repository (not temporary ones), sorted. */
  List<String> list(String dir) throws IOException {
    return store.list(dir).stream().map(Store.Entry::name).toList();
  }

  boolean has(String id) {
    return index.containsKey(id) || pendingBlobs.containsKey(id);
  }

  Map<String, Where> blobs() {
    return index;
  }

  /** Stores {@code plain} as a blob of {@code type} unless the repository has it; returns its id. */
  String put(String type, byte[] plain) throws IOException {
    return put(type, plain, 0, plain.length);
  }

  String put(String type, byte[] plain, int offset, int length) throws IOException {
    return add(seal(type, plain, offset, length));
  }

  /** A blob ready to be added: its id, and its sealed bytes (the first {@code length} of {@code sealed}) unless the repository has it already. */
  record Sealed(String type, String id, byte[] sealed, int length) {}

  /**
   * Computes the id of {@code plain} and, if the repository lacks it, compresses and seals it into
   * a buffer of the calling thread's, valid until that thread seals again: {@link #add} it first.
   * Thread-safe: backups seal and add on several threads.
   */
  Sealed seal(String type, byte[] plain, int offset, int length) {
    String id = crypto.id(plain, offset, length);
    if (has(id)) {
      return new Sealed(type, id, null, 0);
    }
    Crypto.Out out = crypto.sealToScratch(plain, offset, length, id);
    return new Sealed(type, id, out.bytes(), out.length());
  }

  /** Appends a sealed blob to the current pack unless the repository has it; returns its id. */
  synchronized String add(Sealed s) throws IOException {
    if (s.sealed() == null || has(s.id())) {
      return s.id();
    }
    int at = packSize;
    int length = s.length();
    if (pack.length == 0 && (pack = freeBuffers.poll()) == null) {
      pack = new byte[0];
    }
    if (pack.length - at < length) {
      pack = java.util.Arrays.copyOf(pack, (int) Math.max(at + (long) length, Math.min(Integer.MAX_VALUE - 8,
          Math.max(PACK_BYTES + (1 << 20), 2L * pack.length))));
    }
    System.arraycopy(s.sealed(), 0, pack, at, length);
    packSize += length;
    packBlobs.add(new Model.IndexBlob(s.id(), s.type(), at, length));
    pendingBlobs.put(s.id(), new Where(null, s.type(), at, length));
    if (packSize >= PACK_BYTES) {
      finishPack();
    }
    return s.id();
  }

  /** The sealed length of blob {@code id} by the index; 0 when no index has it ({@link #get} then says so). */
  long sealedLength(String id) {
    Where w = index.get(id);
    return w == null ? 0 : w.length();
  }

  /** The plain bytes of blob {@code id}. Thread-safe. */
  byte[] get(String id) throws IOException {
    return get(id, byte[]::new).bytes();
  }

  private static final ThreadLocal<byte[]> SEALED_READS = ThreadLocal.withInitial(() -> new byte[0]);

  /**
   * The plain bytes of blob {@code id}, in an array {@code buffers} gives for its size (at least that
   * long); the sealed bytes are read into a buffer of the calling thread's. Thread-safe.
   */
  Crypto.Plain get(String id, java.util.function.IntFunction<byte[]> buffers) throws IOException {
    Where w = index.get(id);
    if (w == null) {
      if (pendingBlobs.containsKey(id)) {
        flush();
        w = index.get(id);
      }
      if (w == null) {
        throw new CorruptException("blob " + id.substring(0, 12) + " is in no index: the repository lost data; run"
            + " `tandem backup verify`");
      }
    }
    byte[] sealed = SEALED_READS.get();
    if (sealed.length < w.length()) {
      sealed = new byte[Math.max(w.length(), 2 * sealed.length)];
      SEALED_READS.set(sealed);
    }
    int got;
    try {
      got = store.readRange(packName(w.pack()), w.offset(), sealed, w.length());
    } catch (NoSuchFileException e) {
      throw new CorruptException("pack " + w.pack().substring(0, 12) + " is missing (it holds blob " + id.substring(0, 12) + ")");
    }
    if (got < w.length()) {
      throw new CorruptException("pack " + w.pack().substring(0, 12) + " is truncated: blob " + id.substring(0, 12)
          + " runs past its end");
    }
    Crypto.Plain plain = crypto.openTo(sealed, 0, got, id, "blob " + id.substring(0, 12), buffers);
    if (!crypto.id(plain.bytes(), 0, plain.length()).equals(id)) {
      throw new CorruptException("blob " + id.substring(0, 12) + " decrypts to other content than its id says");
    }
    return plain;
  }

  /** Closes the packs kept open for reading. */
  public void closeReaders() {
    store.closeReaders();
  }

  /** The file name of pack {@code pack}: data/ab/abcd... */
  static String packName(String pack) {
    return "data/" + pack.substring(0, 2) + "/" + pack;
  }

  /**
   * A pack's name, computed as its bytes are read or written in order. Format 2: the SHA-256 of each blob's sealed
   * length (4 bytes, big-endian) and AES-GCM tag (its last 16 bytes), blob after blob, which the tags make as much a
   * name of the content as a hash of every byte (a changed byte fails its blob's tag), for 20 bytes hashed per blob
   * instead of all of them: hashing 16 MiB packs whole was about a seventh of a first backup's CPU. Format 1: the
   * SHA-256 of every byte of the file.
   */
  static final class PackHash {
    private final MessageDigest sha;
    private final boolean whole;

    PackHash(int version) {
      whole = version == 1;
      try {
        sha = MessageDigest.getInstance("SHA-256");
      } catch (java.security.NoSuchAlgorithmException e) {
        throw new IllegalStateException("SHA-256 is missing from this JDK", e);
      }
    }

    /** The next bytes of the pack file, blobs or not, in order. */
    PackHash bytes(byte[] b, int offset, int length) {
      if (whole) {
        sha.update(b, offset, length);
      }
      return this;
    }

    /** The next blob of the pack: its sealed bytes. */
    PackHash blob(byte[] sealed, int offset, int length) {
      if (!whole) {
        sha.update(new byte[] {(byte) (length >>> 24), (byte) (length >>> 16), (byte) (length >>> 8), (byte) length});
        int tag = Math.min(length, Crypto.TAG_BITS / 8);
        sha.update(sealed, offset + length - tag, tag);
      }
      return this;
    }

    String name() {
      return Durable.hex(sha.digest());
    }
  }

  /** The name of the pack holding {@code blobs} (in order, back to back) in the first {@code size} bytes of {@code bytes}. */
  String packName(byte[] bytes, int size, List<Model.IndexBlob> blobs) {
    PackHash h = new PackHash(version()).bytes(bytes, 0, size);
    for (Model.IndexBlob b : blobs) {
      h.blob(bytes, (int) b.offset(), b.length());
    }
    return h.name();
  }

  /**
   * Starts writing the current pack, if any, under its name ({@link PackHash}), on a thread of its
   * own; first waits for the oldest write when {@link #WRITES_AHEAD} are under way.
   */
  private void finishPack() throws IOException {
    if (packBlobs.isEmpty()) {
      return;
    }
    while (writing.size() >= WRITES_AHEAD) {
      awaitOldestWrite();
    }
    byte[] bytes = pack;
    int size = packSize;
    List<Model.IndexBlob> blobs = List.copyOf(packBlobs);
    var task = new java.util.concurrent.FutureTask<>(() -> {
      String name = packName(bytes, size, blobs);
      store.write(packName(name), bytes, size);
      if (freeBuffers.size() <= WRITES_AHEAD) {
        freeBuffers.add(bytes);
      }
      return new Model.IndexPack(name, blobs);
    });
    writing.add(task);
    Thread.ofPlatform().daemon().name("backup-pack-writer").start(task);
    pack = new byte[0];
    packSize = 0;
    packBlobs = new ArrayList<>();
  }

  /** Waits for the oldest pack write; the pack is then in {@link #unindexed}. */
  private void awaitOldestWrite() throws IOException {
    var task = writing.peek();
    Model.IndexPack written;
    try {
      written = task.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new java.io.InterruptedIOException("interrupted while writing a pack");
    } catch (java.util.concurrent.ExecutionException e) {
      writing.forEach(t -> t.cancel(true));
      writing.clear();
      throw e.getCause() instanceof IOException io ? io : new IOException("writing a pack failed: " + e.getCause(), e.getCause());
    }
    writing.poll();
    CrashPoint.reached("backup-after-pack");
    bytesWritten += written.blobs().stream().mapToLong(b -> b.offset() + b.length()).max().orElse(0);
    unindexed.add(written);
  }

  /** Makes every blob stored so far durable and findable: the last pack, then an index file listing the new packs. */
  synchronized void flush() throws IOException {
    finishPack();
    while (!writing.isEmpty()) {
      awaitOldestWrite();
    }
    if (unindexed.isEmpty()) {
      return;
    }
    writeIndex(new Model.IndexFile(List.copyOf(unindexed)));
    for (Model.IndexPack p : unindexed) {
      for (Model.IndexBlob b : p.blobs()) {
        index.put(b.id(), new Where(p.pack(), b.type(), b.offset(), b.length()));
      }
    }
    unindexed.clear();
    pendingBlobs.clear();
  }

  /** Writes an index file; returns its name. */
  String writeIndex(Model.IndexFile file) throws IOException {
    byte[] sealed = crypto.seal(JSON.writeValueAsBytes(file), "index");
    String name = "index/" + Durable.hex(Crypto.random(16));
    store.write(name, sealed);
    return name;
  }

  /** Flushes, then stores {@code s}; returns the snapshot's id. */
  String saveSnapshot(Model.Snapshot s) throws IOException {
    flush();
    CrashPoint.reached("backup-after-index");
    String id = Durable.hex(Crypto.random(16));
    store.write("snapshots/" + id, crypto.seal(JSON.writeValueAsBytes(s), "snapshot"));
    return id;
  }

  /** Every snapshot, oldest first. */
  public List<StoredSnapshot> snapshots() throws IOException {
    List<StoredSnapshot> out = new ArrayList<>();
    for (Store.Entry e : store.list("snapshots")) {
      byte[] plain = crypto.open(store.read(e.name()), "snapshot", "snapshot " + e.id());
      out.add(new StoredSnapshot(e.id(), JSON.readValue(plain, Model.Snapshot.class)));
    }
    out.sort(Comparator.comparing((StoredSnapshot s) -> s.snapshot().time()).thenComparing(StoredSnapshot::id));
    return out;
  }

  /** The snapshot whose id is or starts with {@code prefix} ("latest" for the newest backup, archived WAL left out). */
  public StoredSnapshot snapshot(String prefix) throws IOException {
    List<StoredSnapshot> all = snapshots();
    if (prefix.equals("latest")) {
      // The newest backup: archived WAL (pushed every few seconds) is not one.
      List<StoredSnapshot> backups = all.stream().filter(s -> !Pitr.isWal(s.snapshot())).toList();
      if (backups.isEmpty()) {
        throw new NoSuchFileException("the repository holds no snapshot yet");
      }
      return backups.getLast();
    }
    List<StoredSnapshot> match = all.stream().filter(s -> s.id().startsWith(prefix)).toList();
    if (match.size() != 1) {
      throw new NoSuchFileException(match.isEmpty() ? "no snapshot " + prefix + " (see `tandem backup list`)"
          : "snapshot prefix " + prefix + " is ambiguous: " + match.size() + " snapshots start with it");
    }
    return match.getFirst();
  }

  void deleteSnapshot(String id) throws IOException {
    store.delete("snapshots/" + id);
    store.syncDeletes("snapshots");
  }

  Model.Tree tree(String id) throws IOException {
    return JSON.readValue(get(id), Model.Tree.class);
  }

  /** Every blob reachable from {@code snapshots} (trees and data). */
  Set<String> reachable(List<StoredSnapshot> snapshots) throws IOException {
    Set<String> seen = new java.util.HashSet<>();
    for (StoredSnapshot s : snapshots) {
      for (Model.Source src : s.snapshot().sources()) {
        walk(src.tree(), seen);
      }
    }
    return seen;
  }

  private void walk(String treeId, Set<String> seen) throws IOException {
    if (!seen.add(treeId)) {
      return;
    }
    for (Model.Node n : tree(treeId).nodes()) {
      if (n.content() != null) {
        seen.addAll(n.content());
      }
      if (n.subtree() != null) {
        walk(n.subtree(), seen);
      }
    }
  }

  /** A snapshot with its id. */
  public record StoredSnapshot(String id, Model.Snapshot snapshot) {}
}
