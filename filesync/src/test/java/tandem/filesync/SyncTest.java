package tandem.filesync;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tandem.core.NodeName;
import tandem.transport.NodeIdentity;
import tandem.transport.PinnedPeers;
import tandem.transport.TransportClient;
import tandem.transport.TransportServer;
import tandem.transport.proto.FileSyncGrpc;
import tandem.transport.proto.SyncBatch;
import tandem.transport.proto.SyncDown;
import tandem.transport.proto.SyncEntry;
import tandem.transport.proto.SyncOpen;
import tandem.transport.proto.SyncUp;

/** Two or three real nodes on 127.0.0.1 with mutual TLS: the primary's tree reaches the replicas. */
class SyncTest {
  private static final Duration CONVERGE = Duration.ofSeconds(30);

  @TempDir Path base;
  private final SyncNode.View view = new SyncNode.View();
  private final PinnedPeers pinned = new PinnedPeers(Set.of());
  private final List<SyncNode> nodes = new ArrayList<>();
  private SyncNode n1;
  private SyncNode n2;

  @BeforeEach
  void twoNodes() throws IOException {
    n1 = node("n1");
    n2 = node("n2");
  }

  @AfterEach
  void stop() {
    nodes.forEach(SyncNode::close);
  }

  private SyncNode node(String name, String... exclude) throws IOException {
    SyncNode n = SyncNode.start(base, name, view, pinned, exclude);
    nodes.add(n);
    return n;
  }

  private void promote(SyncNode n, long epoch) throws IOException {
    view.primary = n.name;
    view.epoch = epoch;
    for (SyncNode other : nodes) {
      if (other != n) {
        other.dir.becomeReplica();
      }
    }
    n.dir.becomePrimary(epoch);
  }

  private void awaitSame(SyncNode a, SyncNode b) {
    try {
      await().atMost(CONVERGE).ignoreExceptions().untilAsserted(() -> assertThat(Trees.snapshot(b.root)).isEqualTo(Trees.snapshot(a.root)));
    } catch (org.awaitility.core.ConditionTimeoutException e) {
      throw new AssertionError(b.name + " did not converge to " + a.name + "; events of " + a.name + ": " + a.events
          + "\nevents of " + b.name + ": " + b.events + "\nstatus of " + a.name + ": " + a.dir.status() + "\nstatus of "
          + b.name + ": " + b.dir.status(), e);
    }
  }

  @Test
  void initialSync_thenRandomMutations_converge() throws IOException {
    Random rnd = new Random(seed());
    RandomTree tree = new RandomTree(n1.root, rnd);
    tree.populate(300);
    promote(n1, 1);
    awaitSame(n1, n2);
    for (int round = 0; round < 5; round++) {
      tree.mutate(60);
      awaitSame(n1, n2);
    }
    assertThat(Trees.snapshot(n2.root)).isNotEmpty();
  }

  @Test
  void aThirdNodeJoiningLater_getsEverything() throws IOException {
    new RandomTree(n1.root, new Random(seed())).populate(100);
    promote(n1, 1);
    awaitSame(n1, n2);
    SyncNode n3 = node("n3");
    awaitSame(n1, n3);
  }

  @Test
  void insertIntoBigFile_sendsOnlyTheChangedChunks() throws IOException {
    byte[] data = new byte[24 << 20];
    new Random(7).nextBytes(data);
    Path big = n1.root.resolve("big.bin");
    Files.write(big, data);
    promote(n1, 1);
    awaitSame(n1, n2);
    long before = n2.dir.status().receiver().receivedBytes();
    byte[] changed = new byte[data.length + 100];
    System.arraycopy(data, 0, changed, 0, 12 << 20);
    new Random(8).nextBytes(java.util.Arrays.copyOfRange(changed, 12 << 20, (12 << 20) + 100));
    for (int i = 0; i < 100; i++) {
      changed[(12 << 20) + i] = (byte) i;
    }
    System.arraycopy(data, 12 << 20, changed, (12 << 20) + 100, data.length - (12 << 20));
    Path tmp = n1.root.resolve("big.bin.new");
    Files.write(tmp, changed);
    Files.move(tmp, big, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    awaitSame(n1, n2);
    long fetched = n2.dir.status().receiver().receivedBytes() - before;
    assertThat(fetched).as("chunk bytes fetched for a 100-byte insert into 24 MiB").isLessThan(1 << 20);
  }

  @Test
  void manyBigFilesMovedInAtOnce_converge_andCopiesCrossTheWireOnce() throws IOException {
    promote(n1, 1);
    awaitSame(n1, n2);
    Path staging = Files.createDirectories(base.resolve("staging/many"));
    Random rnd = new Random(11);
    byte[] data = new byte[3 << 20];
    for (int i = 0; i < 6; i++) {
      rnd.nextBytes(data);
      Files.write(staging.resolve("f" + i), data);
    }
    Files.copy(staging.resolve("f2"), staging.resolve("copy-a"));
    Files.copy(staging.resolve("f2"), staging.resolve("copy-b"));
    long before = n2.dir.status().receiver().receivedBytes();

    Files.move(staging, n1.root.resolve("many"), StandardCopyOption.ATOMIC_MOVE);

    awaitSame(n1, n2);
    long fetched = n2.dir.status().receiver().receivedBytes() - before;
    assertThat(fetched).as("bytes fetched for 6 distinct files of 3 MiB and two copies of one").isLessThan(7L * (3 << 20))
        .isGreaterThanOrEqualTo(6L * (3 << 20));
  }

  @Test
  void renamesAndMovesOfFilesAndDirectories_costAlmostNothingOnTheWire() throws IOException {
    Random rnd = new Random(21);
    byte[] data = new byte[8 << 20];
    rnd.nextBytes(data);
    Files.createDirectories(n1.root.resolve("projects/alpha"));
    Files.write(n1.root.resolve("projects/alpha/video.bin"), data);
    rnd.nextBytes(data);
    Files.write(n1.root.resolve("report.bin"), data);
    promote(n1, 1);
    awaitSame(n1, n2);
    long before = n2.dir.status().receiver().receivedBytes();

    Files.move(n1.root.resolve("report.bin"), n1.root.resolve("report-final.bin"));
    Files.createDirectories(n1.root.resolve("archive"));
    Files.move(n1.root.resolve("projects/alpha"), n1.root.resolve("archive/alpha-2026"));

    awaitSame(n1, n2);
    long fetched = n2.dir.status().receiver().receivedBytes() - before;
    assertThat(fetched).as("bytes fetched after renaming an 8 MiB file and moving a directory holding another").isLessThan(64 << 10);
  }

  @Test
  void aReplicaInSyncThatReconnects_isNotSentItsSmallFilesAgain() throws IOException {
    new RandomTree(n1.root, new Random(seed())).populate(300);
    promote(n1, 1);
    awaitSame(n1, n2);
    await().atMost(CONVERGE).until(() -> n1.dir.status().replicas().stream().allMatch(r -> r.behindEntries() == 0 && r.state().equals("in-sync")));
    long before = n2.dir.status().receiver().receivedBytes();

    promote(n1, 2); // a new stream, which starts with a full comparison

    await().atMost(CONVERGE).until(() -> n2.hasEvent("initial-sync-done")
        && n2.events.stream().filter(e -> e.kind().equals("initial-sync-done")).count() >= 2);
    awaitSame(n1, n2);
    assertThat(n2.dir.status().receiver().receivedBytes() - before).as("bytes received by a replica that had everything").isZero();
  }

  @Test
  void aFileWhoseChunkListIsTooLongForOneMessage_travelsWithItsListInParts() throws IOException {
    ReplicaLink.listPartChunks = 10; // a 12 MiB file has about 190 chunks: 19 parts, as a 100 GiB file would
    try {
      byte[] data = new byte[12 << 20];
      new Random(5).nextBytes(data);
      Files.write(n1.root.resolve("disk.img"), data);
      Files.write(n1.root.resolve("small.txt"), "beside it".getBytes());
      promote(n1, 1);
      awaitSame(n1, n2);
      data[6 << 20] ^= 1;
      Files.write(n1.root.resolve("disk.img"), data);
      awaitSame(n1, n2);
    } finally {
      ReplicaLink.listPartChunks = ReplicaLink.LIST_PART_CHUNKS;
    }
  }

  @Test
  void ownerAndVersionsFromTheConfig_applyOnTheReplica() throws Exception {
    Assumptions.assumeTrue("root".equals(System.getProperty("user.name")), "skipped: chown needs root; run the tests as root");
    SyncNode n3 = SyncNode.start(base, "n3", view, pinned, Optional.of("nobody:nogroup"), Optional.of(Duration.ofDays(14)));
    nodes.add(n3);
    Files.writeString(n1.root.resolve("invoice.pdf"), "version one");
    promote(n1, 1);
    awaitSame(n1, n3);
    assertThat(Files.getOwner(n3.root.resolve("invoice.pdf")).getName()).isEqualTo("nobody");

    Files.writeString(n1.root.resolve("invoice.pdf"), "version two, longer");
    awaitSame(n1, n3);
    Files.delete(n1.root.resolve("invoice.pdf"));
    awaitSame(n1, n3);

    List<String> kept;
    try (var walk = Files.walk(n3.root.resolve(".tandem-versions"))) {
      kept = walk.filter(Files::isRegularFile).map(p -> {
        try {
          return Files.readString(p);
        } catch (IOException e) {
          throw new java.io.UncheckedIOException(e);
        }
      }).sorted().toList();
    }
    assertThat(kept).as("the replaced and the deleted version, kept on the replica").containsExactly("version one",
        "version two, longer");
    assertThat(n2.root.resolve(".tandem-versions")).as("a replica without versions keeps none").doesNotExist();
  }

  @Test
  void aFileRewrittenEvery5msOnThePrimary_makesNoConflictCopyOnTheReplica() throws Exception {
    promote(n1, 1);
    awaitSame(n1, n2);
    Path f = n1.root.resolve("shared.txt");
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(4);
    for (int i = 0; System.nanoTime() < end; i++) {
      Files.writeString(f, "version " + i + " ".repeat(i % 50)); // truncate, then write, like most programs
      Thread.sleep(5); // the writer's own pace, not synchronisation
    }
    awaitSame(n1, n2);
    try (var files = Files.list(n2.root)) {
      assertThat(files.map(p -> p.getFileName().toString()).filter(n -> n.contains("sync-conflict")).toList())
          .as("conflict copies on a replica nobody wrote to; events: " + n2.events).isEmpty();
    }
  }

  @Test
  void changeMadeOnTheReplica_isKeptAsConflictCopy() throws IOException {
    Files.writeString(n1.root.resolve("page.html"), "v1");
    promote(n1, 1);
    awaitSame(n1, n2);
    Files.writeString(n2.root.resolve("page.html"), "edited on the replica");
    Files.writeString(n1.root.resolve("page.html"), "v2 from the primary");
    awaitSame(n1, n2);
    await().atMost(CONVERGE).until(() -> conflictCopies(n2.root).size() == 1);
    assertThat(Files.readString(conflictCopies(n2.root).getFirst())).isEqualTo("edited on the replica");
    assertThat(n2.hasEvent("file-conflict")).isTrue();
  }

  @Test
  void failover_newPrimaryBecomesSource_oldPrimaryKeepsUnreplicatedChanges() throws IOException {
    Files.writeString(n1.root.resolve("a.txt"), "a1");
    promote(n1, 1);
    awaitSame(n1, n2);
    // n1 dies (as far as file sync goes) and writes something nobody received.
    n1.dir.becomeReplica();
    Files.writeString(n1.root.resolve("a.txt"), "written on n1 after it lost the lease");
    Files.writeString(n1.root.resolve("only-on-n1.txt"), "never replicated");
    promote(n2, 2);
    Files.writeString(n2.root.resolve("b.txt"), "b on the new primary");
    awaitSame(n2, n1);
    assertThat(Files.readString(n1.root.resolve("a.txt"))).isEqualTo("a1");
    List<String> kept = conflictCopies(n1.root).stream().map(p -> readQuietly(p)).sorted().toList();
    assertThat(kept).containsExactly("never replicated", "written on n1 after it lost the lease");
  }

  @Test
  void streamFromAStaleEpoch_isRefusedAndWritesNothing() throws IOException {
    promote(n1, 1);
    Files.writeString(n1.root.resolve("x"), "1");
    awaitSame(n1, n2);
    view.epoch = 2;  // n1 was deposed; it still runs with epoch 1 (a hung primary resumed)
    Files.writeString(n1.root.resolve("x"), "stale write");
    await().atMost(CONVERGE).until(() -> n2.hasEvent("sync-refused"));
    assertThat(Files.readString(n2.root.resolve("x"))).isEqualTo("1");
  }

  @Test
  void hostilePaths_areRefusedAndNothingIsWrittenOutsideTheRoot() throws Exception {
    hostilePeerReady();
    Path outside = base.resolve("outside");
    Files.createDirectories(outside);
    Files.createSymbolicLink(n2.root.resolve("escape"), outside);
    List<String> hostile = List.of("../evil", "/etc/evil", "a/../../evil", "escape/evil", "a//b", "a/./b", "evil\0x",
        ".tandem-versions/x", "", "dir/");
    for (String path : hostile) {
      SyncEntry e = SyncEntry.newBuilder().setPath(path).setKind(0).setSize(4).setInlineData(ByteString.copyFromUtf8("evil"))
          .setChunkHashes(ByteString.copyFrom(Hash.of("evil".getBytes(), 0, 4).toBytes())).addChunkLengths(4).build();
      Throwable refused = sendRaw(n1.identity, e);
      assertThat(refused).as(path).isNotNull();
    }
    try (var files = Files.list(outside)) {
      assertThat(files.toList()).isEmpty();
    }
    assertThat(Files.exists(base.resolve("evil"))).isFalse();
    assertThat(n2.hasEvent("sync-refused")).isTrue();
  }

  @Test
  void sizeThatDoesNotMatchChunks_isRefused() throws Exception {
    hostilePeerReady();
    SyncEntry e = SyncEntry.newBuilder().setPath("liar").setKind(0).setSize(1000).addChunkLengths(4)
        .setChunkHashes(ByteString.copyFrom(new byte[32])).build();
    assertThat(sendRaw(n1.identity, e)).hasMessageContaining("chunks add up to 4 bytes but the size is 1000");
    assertThat(Files.exists(n2.root.resolve("liar"))).isFalse();
  }

  @Test
  void anEntryWhoseChunkListWasToComeFirst_withoutThatList_isRefused() throws Exception {
    hostilePeerReady();
    SyncEntry e = SyncEntry.newBuilder().setPath("promised").setKind(0).setSize(1000).setChunksFollow(true).build();
    assertThat(sendRaw(n1.identity, e)).hasMessageContaining("without that list");
    assertThat(Files.exists(n2.root.resolve("promised"))).isFalse();
  }

  @Test
  void oversizedFrame_isRefused() throws Exception {
    hostilePeerReady();
    byte[] huge = new byte[TransportServer.MAX_MESSAGE_BYTES + 1];
    SyncEntry e = SyncEntry.newBuilder().setPath("huge").setKind(0).setSize(huge.length)
        .setInlineData(ByteString.copyFrom(huge)).build();
    assertThat(sendRaw(n1.identity, e)).hasMessageContaining("RESOURCE_EXHAUSTED");
    assertThat(Files.exists(n2.root.resolve("huge"))).isFalse();
  }

  @Test
  void nodeWithAnUnpinnedCertificate_isRefused() throws Exception {
    promote(n1, 1);
    NodeIdentity stranger = NodeIdentity.create(base.resolve("stranger"), new NodeName("stranger"), List.of());
    SyncEntry e = SyncEntry.newBuilder().setPath("x").setKind(1).build();
    assertThat(sendRaw(stranger, e)).hasMessageContaining("not a member of this cluster");
    assertThat(Files.exists(n2.root.resolve("x"))).isFalse();
  }

  @Test
  void inlineDataThatDoesNotMatchItsHash_isRefusedAndWritesNothing() throws Exception {
    hostilePeerReady();
    SyncEntry e = SyncEntry.newBuilder().setPath("forged").setKind(0).setSize(4).setInlineData(ByteString.copyFromUtf8("evil"))
        .setChunkHashes(ByteString.copyFrom(Hash.of("good".getBytes(), 0, 4).toBytes())).addChunkLengths(4).build();
    assertThat(sendRaw(n1.identity, e)).hasMessageContaining("inline data does not match its hash");
    assertThat(Files.exists(n2.root.resolve("forged"))).isFalse();
  }

  @Test
  void bytesThatAreNoMessage_endTheStream_andTheNextStreamStillSyncs() throws Exception {
    hostilePeerReady();
    MethodDescriptor.Marshaller<byte[]> raw = new MethodDescriptor.Marshaller<>() {
      @Override
      public InputStream stream(byte[] value) {
        return new ByteArrayInputStream(value);
      }

      @Override
      public byte[] parse(InputStream stream) {
        try {
          return stream.readAllBytes();
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      }
    };
    MethodDescriptor<byte[], byte[]> sync = FileSyncGrpc.getSyncMethod().toBuilder(raw, raw).build();
    CompletableFuture<Status> end = new CompletableFuture<>();
    ClientCall<byte[], byte[]> call = n1.clientTo(n2, n1.identity).channel().newCall(sync, CallOptions.DEFAULT);
    call.start(new ClientCall.Listener<>() {
      @Override
      public void onClose(Status status, Metadata trailers) {
        end.complete(status);
      }
    }, new Metadata());
    call.request(1);
    call.sendMessage(SyncUp.newBuilder().setOpen(SyncOpen.newBuilder().setGroup("web").setEpoch(view.epoch)).build().toByteArray());
    byte[] junk = new byte[4096];
    Arrays.fill(junk, (byte) 0xff);
    call.sendMessage(junk);
    // gRPC reports a request its server could not parse as UNKNOWN ("Application error processing RPC").
    assertThat(end.get(20, TimeUnit.SECONDS).getCode()).isNotEqualTo(Status.Code.OK);
    promote(n1, 2);
    Files.writeString(n1.root.resolve("after"), "still syncing");
    awaitSame(n1, n2);
  }

  /**
   * The set-up of the hostile-message tests: n1 was primary under epoch 1 and n2 holds its tree, then n1 turned replica
   * and stopped streaming, so a test's hand-made stream is the only one n2 reads.
   */
  private void hostilePeerReady() throws Exception {
    promote(n1, 1);
    awaitSame(n1, n2);
    quietAsReplica(n1);
  }

  /**
   * Makes {@code n} a replica and waits until n2 receives no stream from it: otherwise its late reconnect can replace a
   * test's hand-made stream before its batch is read.
   */
  private void quietAsReplica(SyncNode n) {
    n.dir.becomeReplica();
    await().atMost(CONVERGE).until(() -> !n2.dir.status().receiver().receiving());
  }

  /** Opens a stream to n2 as {@code as} with n1's current epoch and sends one batch; returns the error that ended it. */
  private Throwable sendRaw(NodeIdentity as, SyncEntry entry) throws Exception {
    TransportClient c = n1.clientTo(n2, as);
    CompletableFuture<Throwable> end = new CompletableFuture<>();
    StreamObserver<SyncUp> up = FileSyncGrpc.newStub(c.channel()).sync(new StreamObserver<>() {
      @Override
      public void onNext(SyncDown value) {}

      @Override
      public void onError(Throwable t) {
        end.complete(t);
      }

      @Override
      public void onCompleted() {
        end.complete(null);
      }
    });
    up.onNext(SyncUp.newBuilder().setOpen(SyncOpen.newBuilder().setGroup("web").setEpoch(view.epoch)).build());
    up.onNext(SyncUp.newBuilder().setBatch(SyncBatch.newBuilder().setEpoch(view.epoch).setSeq(1).addEntries(entry)).build());
    return end.get(20, TimeUnit.SECONDS);
  }

  private static List<Path> conflictCopies(Path root) throws IOException {
    try (var all = Files.walk(root)) {
      return all.filter(p -> p.getFileName().toString().contains(".sync-conflict-")).sorted().toList();
    }
  }

  private static String readQuietly(Path p) {
    try {
      return Files.readString(p);
    } catch (IOException e) {
      return "unreadable: " + e;
    }
  }

  private static long seed() {
    long seed = Long.getLong("seed", System.nanoTime());
    System.out.println("SyncTest seed " + seed + " (rerun with -Dseed=" + seed + ")");
    return seed;
  }
}
