package tandem.backup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.jclouds.blobstore.domain.Blob;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tandem.config.ConfigLoader;
import tandem.config.RepositoryLocation;
import tandem.config.TandemConfig;

/** Repositories on a real S3 server (S3Proxy on loopback): the same operations as in a directory, and S3's own failures. */
class S3RepositoryTest {
  static final String BUCKET = "tandem-backups";
  static final AtomicInteger PREFIXES = new AtomicInteger();
  static S3Server server;

  @TempDir Path tmp;
  Path src;
  RepositoryLocation.S3 location;
  Store store;
  Repository repo;

  @BeforeAll
  static void startServer() throws Exception {
    server = S3Server.start();
    server.createBucket(BUCKET);
  }

  @AfterAll
  static void stopServer() throws Exception {
    server.close();
  }

  @BeforeEach
  void setUp() throws IOException {
    src = Files.createDirectories(tmp.resolve("uploads"));
    location = server.location(BUCKET, "hosts/t" + PREFIXES.incrementAndGet());
    store = Stores.open(location, S3Server.credentialsFile(tmp, S3Server.SECRET_KEY));
    repo = Repository.init(store, BackupTest.PASSWORD, 1024, 1);
  }

  /** A few files, one of several chunks: enough for packs, blobs and trees, and quick to send. */
  private void fewFiles(long seed) throws IOException {
    byte[] big = new byte[300_000];
    new java.util.Random(seed).nextBytes(big);
    Files.write(Files.createDirectories(src.resolve("d")).resolve("big.bin"), big);
    Files.writeString(src.resolve("notes.txt"), "seed " + seed);
  }

  private Repository.StoredSnapshot backup() throws IOException {
    try (RepoLock lock = RepoLock.acquire(store, false, "backup")) {
      new Backup(repo, Backup.Progress.NONE).run("nightly", List.of(new Backup.Source("web", "files", src)));
    }
    return repo.snapshots().getLast();
  }

  /** The object keys under the test's prefix, as the server lists them. */
  private List<String> keys() {
    return server.blobs().list(BUCKET, org.jclouds.blobstore.options.ListContainerOptions.Builder.prefix(location.prefix() + "/")
        .recursive()).stream().map(m -> m.getName()).sorted().toList();
  }

  /** The bytes of the pack objects under the test's prefix, as the server counts them. */
  private long dataBytes() {
    return server.blobs().list(BUCKET, org.jclouds.blobstore.options.ListContainerOptions.Builder.prefix(location.prefix()
        + "/data/").recursive()).stream().mapToLong(m -> m.getSize()).sum();
  }

  private String firstPackKey() {
    return keys().stream().filter(k -> k.contains("/data/")).findFirst().orElseThrow();
  }

  @Test
  void initBackupListRestore_roundTripsThroughTheBucket() throws IOException {
    BackupTest.populate(src, 1);
    Repository.StoredSnapshot s = backup();

    Repository reopened = Repository.open(Stores.open(location, S3Server.credentialsFile(tmp, S3Server.SECRET_KEY)),
        BackupTest.PASSWORD);
    assertThat(reopened.snapshots()).extracting(Repository.StoredSnapshot::id).containsExactly(s.id());
    new Restore(reopened).run(reopened.snapshot("latest"), "", tmp.resolve("restored"));
    assertThat(BackupTest.describe(tmp.resolve("restored"))).isEqualTo(BackupTest.describe(src));
    String p = location.prefix() + "/";
    assertThat(keys()).as("the documented layout, under the prefix").contains(p + "config", p + "snapshots/" + s.id())
        .anyMatch(k -> k.startsWith(p + "keys/")).anyMatch(k -> k.startsWith(p + "index/"))
        .anyMatch(k -> k.matches(p + "data/([0-9a-f]{2})/\\1[0-9a-f]{62}")).noneMatch(k -> k.startsWith(p + "locks/"));
  }

  @Test
  void aFileLargerThanAPart_isUploadedInParts_andReadsBackWhole() throws IOException {
    S3Store parts = ((S3Store) store).withPartBytes(5 << 20);
    byte[] big = new byte[(12 << 20) + 123];
    new java.util.Random(7).nextBytes(big);

    parts.write("index/big", big, big.length - 100); // a buffer longer than the file, as packs are

    assertThat(sha256(parts.read("index/big"))).as("the bytes read back").isEqualTo(sha256(Arrays.copyOf(big, big.length - 100)));
    assertThat(server.blobs().blobMetadata(BUCKET, location.prefix() + "/index/big").getETag())
        .as("a multipart object's ETag ends in its number of parts").endsWith("-3\"");
    assertThat(server.blobs().listMultipartUploads(BUCKET)).as("no upload left open").isEmpty();
  }

  @Test
  void aPackOfSeveralParts_backsUpRestoresAndVerifies() throws IOException {
    byte[] big = new byte[(int) Repository.PACK_BYTES + (1 << 20)];
    new java.util.Random(11).nextBytes(big);
    Files.write(src.resolve("big.bin"), big);

    Repository.StoredSnapshot s = backup();

    assertThat(dataBytes()).as("one pack over the part size, one of the rest").isGreaterThan(Repository.PACK_BYTES);
    new Restore(repo).run(s, "", tmp.resolve("restored"));
    assertThat(sha256(Files.readAllBytes(tmp.resolve("restored/big.bin")))).as("the file restored").isEqualTo(sha256(big));
    Verify.Report report = new Verify(repo).run(100, 1);
    assertThat(report.problems()).isEmpty();
    assertThat(report.bytesRead()).isEqualTo(dataBytes());
  }

  private static String sha256(byte[] b) throws IOException {
    try {
      return java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(b));
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IOException(e);
    }
  }

  @Test
  void aSecondInit_onTheSamePrefix_isRefused() {
    assertThatThrownBy(() -> Repository.init(store, BackupTest.PASSWORD, 1024, 1))
        .hasMessageContaining(location + " already holds a tandem repository");
  }

  @Test
  void createIfAbsent_leavesAnExistingObjectAlone() throws IOException {
    byte[] config = store.read("config");

    assertThat(store.create("config", "{}".getBytes())).isFalse();
    assertThat(store.read("config")).isEqualTo(config);
    assertThat(store.create("keys/new", "{}".getBytes())).isTrue();
    assertThat(store.read("keys/new")).isEqualTo("{}".getBytes());
  }

  @Test
  void verify_findsATruncatedAndACorruptedPackObject_andNamesThem() throws IOException {
    fewFiles(2);
    Repository.StoredSnapshot s = backup();
    assertThat(new Verify(repo).run(100, 1).problems()).isEmpty();
    String packKey = firstPackKey();
    String pack = packKey.substring(packKey.lastIndexOf('/') + 1);
    byte[] bytes = read(packKey);
    put(packKey, Arrays.copyOf(bytes, bytes.length / 2));

    Verify.Report structure = new Verify(Repository.open(store, BackupTest.PASSWORD)).run(0, 1);

    assertThat(structure.problems()).anyMatch(p -> p.startsWith("pack " + pack.substring(0, 12) + " is truncated")
        && p.contains(location + "/data/"));
    assertThat(structure.problems()).anyMatch(p -> p.startsWith("snapshot " + s.id().substring(0, 8)) && p.contains("is damaged"));

    bytes[bytes.length / 3] ^= 0x55;
    put(packKey, bytes);
    Verify.Report data = new Verify(Repository.open(store, BackupTest.PASSWORD)).run(100, 1);
    assertThat(data.problems()).as("a changed byte inside a blob fails its tag, named with its pack")
        .anyMatch(p -> p.contains("does not authenticate") && p.contains("(pack " + pack.substring(0, 12) + ")"));
  }

  private byte[] read(String key) throws IOException {
    try (var in = server.blobs().getBlob(BUCKET, key).getPayload().openStream()) {
      return in.readAllBytes();
    }
  }

  private void put(String key, byte[] bytes) {
    Blob b = server.blobs().blobBuilder(key).payload(bytes).contentLength(bytes.length).build();
    server.blobs().putBlob(BUCKET, b);
  }

  @Test
  void forgetThenPrune_deletesObjects_andTheKeptSnapshotStillRestores() throws IOException {
    fewFiles(3);
    Repository.StoredSnapshot old = backup();
    Files.delete(src.resolve("d/big.bin"));
    Files.writeString(src.resolve("new.txt"), "after the cleanup");
    Repository.StoredSnapshot kept = backup();
    long before = dataBytes();
    repo.deleteSnapshot(old.id());

    Prune.Result r;
    try (RepoLock lock = RepoLock.acquire(store, true, "prune")) {
      r = new Prune(repo).run(false);
    }

    assertThat(r.bytesFreed()).isPositive();
    assertThat(dataBytes()).as("the big file's chunks are gone from the bucket").isLessThan(before - 250_000);
    Repository fresh = Repository.open(store, BackupTest.PASSWORD);
    assertThat(fresh.snapshots()).extracting(Repository.StoredSnapshot::id).containsExactly(kept.id());
    assertThat(new Verify(fresh).run(100, 1).problems()).isEmpty();
    new Restore(fresh).run(fresh.snapshot(kept.id()), "", tmp.resolve("after"));
    assertThat(Files.readString(tmp.resolve("after/new.txt"))).isEqualTo("after the cleanup");
  }

  @Test
  void anExclusiveLock_isRefusedWhileABackupHoldsOne_andTakenOnceItIsReleased() throws IOException {
    try (RepoLock backup = RepoLock.acquire(store, false, "backup nightly")) {
      assertThatThrownBy(() -> RepoLock.acquire(store, true, "prune")).isInstanceOf(RepoLock.LockedException.class)
          .hasMessageContaining("the repository " + location + " is locked: backup nightly by pid "
              + ProcessHandle.current().pid())
          .hasMessageContaining(location + "/locks/");
      RepoLock.acquire(store, false, "another backup").close();
    }
    RepoLock.acquire(store, true, "prune").close();
    assertThat(keys()).noneMatch(k -> k.contains("/locks/"));
  }

  @Test
  void aLockNotRefreshedForLong_isStale_andRemoved() throws IOException {
    store.write("locks/old", Repository.JSON.writeValueAsBytes(new Model.Lock("elsewhere", 1,
        Instant.now().minus(RepoLock.STALE).minusSeconds(60).toString(), true, "prune")));

    RepoLock.acquire(store, true, "prune").close();

    assertThat(store.exists("locks/old")).isFalse();
  }

  @Test
  void aWrongPassword_isAClearError() {
    assertThatThrownBy(() -> Repository.open(store, "wrong".toCharArray())).isInstanceOf(WrongPasswordException.class)
        .hasMessageContaining("password-file");
  }

  @Test
  void wrongCredentials_nameTheRepositoryAndTheCredentialsFile() throws IOException {
    Path wrong = S3Server.credentialsFile(tmp, "not-the-secret");
    Store bad = Stores.open(location, wrong);

    assertThatThrownBy(() -> Repository.open(bad, BackupTest.PASSWORD)).isInstanceOf(IOException.class)
        .hasMessageContaining("the S3 server refused access to repository " + location)
        .hasMessageContaining("s3-credentials-file " + wrong);
  }

  @Test
  void aMissingBucket_isNamedWithTheRepository() throws IOException {
    RepositoryLocation.S3 missing = server.location("no-such-bucket", "tandem");
    Store none = Stores.open(missing, S3Server.credentialsFile(tmp, S3Server.SECRET_KEY));

    assertThatThrownBy(() -> Repository.init(none, BackupTest.PASSWORD, 1024, 1))
        .hasMessageContaining("the bucket no-such-bucket of repository " + missing + " does not exist");
    assertThatThrownBy(() -> Repository.open(none, BackupTest.PASSWORD))
        .hasMessageContaining("the bucket no-such-bucket of repository " + missing + " does not exist");
  }

  @Test
  void aServerThatDoesNotAnswer_isNamedWithTheRepository() throws IOException {
    int closed;
    try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      closed = s.getLocalPort();
    }
    RepositoryLocation.S3 down = new RepositoryLocation.S3(java.net.URI.create("http://127.0.0.1:" + closed), BUCKET, "x");
    Store none = Stores.open(down, S3Server.credentialsFile(tmp, S3Server.SECRET_KEY));

    assertThatThrownBy(() -> Repository.open(none, BackupTest.PASSWORD))
        .hasMessageContaining("cannot reach the S3 server of repository " + down)
        .hasMessageContaining("check the endpoint, the network and that the server runs");
  }

  @Test
  void aCredentialsFileReadableByEveryone_isRefused() throws IOException {
    Path f = S3Server.credentialsFile(tmp, S3Server.SECRET_KEY);
    Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-r--r--"));

    assertThatThrownBy(() -> Stores.open(location, f)).hasMessageContaining("s3-credentials-file " + f
        + " is readable by every user");
  }

  @Test
  void backupJobs_backUpToALocalRepository_copyToS3_andListAndRestoreFromThere() throws Exception {
    Files.writeString(src.resolve("a.txt"), "alpha");
    Path pw = Files.writeString(tmp.resolve("key"), "pw\n");
    Files.setPosixFilePermissions(pw, PosixFilePermissions.fromString("rw-------"));
    RepositoryLocation.S3 offsite = server.location(BUCKET, "offsite/t" + PREFIXES.incrementAndGet());
    TandemConfig config = ConfigLoader.parse("""
        cluster: shop
        node: { name: n1, listen: 127.0.0.1:7400, api: 127.0.0.1:8400, data-dir: %s }
        groups:
          web:
            nodes: { n1: primary }
            resources:
              - files: { path: %s }
        backups:
          nightly:
            schedule: daily
            groups: [web]
            repository: %s
            password-file: %s
            keep: { last: 2 }
            copy-to: [%s]
            s3-credentials-file: %s
        """.formatted(tmp.resolve("data"), src, tmp.resolve("repo"), pw, offsite,
        S3Server.credentialsFile(tmp, S3Server.SECRET_KEY)), tmp.resolve("tandem.yaml"));
    BackupJobs jobs = new BackupJobs(config, config.backups().get("nightly"));

    BackupJobs.RunResult r = jobs.run(Backup.Progress.NONE);

    assertThat(r.copies()).containsExactly(offsite + ": 1 snapshot(s) copied");
    var offsiteJobs = new BackupJobs(config, new tandem.config.BackupConfig("nightly", "0 0 * * *", List.of("web"), offsite,
        pw, new tandem.config.BackupConfig.Keep(2, 0, 0, 0, 0, 0), tandem.config.BackupConfig.RunOn.PRIMARY, List.of(), false,
        config.backups().get("nightly").s3CredentialsFile()));
    assertThat(offsiteJobs.list()).hasSize(1);
    offsiteJobs.restore("latest", "", tmp.resolve("from-s3"));
    assertThat(Files.readString(tmp.resolve("from-s3/a.txt"))).isEqualTo("alpha");
  }

  @Test
  void walPush_intoS3_keepsTheSpoolWhileTheKeysAreWrong_thenArchivesAndEmptiesIt() throws Exception {
    Path pw = Files.writeString(tmp.resolve("key"), "pw\n");
    Files.setPosixFilePermissions(pw, PosixFilePermissions.fromString("rw-------"));
    Path keys = S3Server.credentialsFile(tmp, S3Server.SECRET_KEY);
    Path wrongKeys = S3Server.credentialsFile(tmp, "not-the-secret");
    RepositoryLocation.S3 archive = server.location(BUCKET, "wal/t" + PREFIXES.incrementAndGet());
    String yaml = """
        cluster: shop
        node: { name: n1, listen: 127.0.0.1:7400, api: 127.0.0.1:8400, data-dir: %s }
        groups:
          db:
            nodes: { n1: primary }
            resources:
              - postgres: { data: %s }
        backups:
          nightly: { schedule: daily, groups: [db], repository: "%s", password-file: %s, keep: { last: 2 }, pitr: on,
                     s3-credentials-file: %s }
        """;
    Path spool = Files.createDirectories(tmp.resolve("spool"));
    Files.write(spool.resolve("000000010000000000000003"), new byte[16 << 10]);
    TandemConfig wrong = ConfigLoader.parse(yaml.formatted(tmp.resolve("data"), tmp.resolve("pg"), archive, pw, wrongKeys),
        tmp.resolve("tandem.yaml"));
    TandemConfig right = ConfigLoader.parse(yaml.formatted(tmp.resolve("data"), tmp.resolve("pg"), archive, pw, keys),
        tmp.resolve("tandem.yaml"));

    assertThatThrownBy(() -> new BackupJobs(wrong, wrong.backups().get("nightly")).pushWal("db", spool))
        .hasMessageContaining("refused access to repository " + archive);
    assertThat(spool.resolve("000000010000000000000003")).as("nothing is lost while pushing fails").exists();

    BackupJobs jobs = new BackupJobs(right, right.backups().get("nightly"));
    assertThat(jobs.pushWal("db", spool)).isEqualTo(1);
    assertThat(spool.resolve("000000010000000000000003")).doesNotExist();
    assertThat(jobs.archivedWal()).singleElement().satisfies(w -> {
      assertThat(w.group()).isEqualTo("db");
      assertThat(w.bytes()).isEqualTo(16 << 10);
    });
  }
}
