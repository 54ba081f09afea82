package tandem.cluster.raft;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.apache.ratis.proto.RaftProtos.LogEntryProto;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftClientRequest;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.protocol.TermIndex;
import org.apache.ratis.server.storage.RaftStorage;
import org.apache.ratis.statemachine.StateMachineStorage;
import org.apache.ratis.statemachine.TransactionContext;
import org.apache.ratis.statemachine.impl.BaseStateMachine;
import org.apache.ratis.statemachine.impl.SimpleStateMachineStorage;
import org.apache.ratis.statemachine.impl.SingleFileSnapshotInfo;
import org.apache.ratis.util.LifeCycle;
import org.apache.ratis.util.MD5FileUtil;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tandem.cluster.ClusterCodec;
import tandem.cluster.ClusterCommand;
import tandem.cluster.ClusterListener;
import tandem.cluster.ClusterState;
import tandem.cluster.CommandResult;

/**
 * The Raft state machine of tandem, after the Ratis counter example: commands are validated in
 * {@link #startTransaction}, {@link #applyTransaction} only computes the next {@link ClusterState}
 * (no clock, no I/O beyond Ratis' own), and snapshots are a JSON file with an MD5 checked on load.
 * Effects in the world happen elsewhere: listeners hear each applied command on one thread.
 */
final class TandemStateMachine extends BaseStateMachine {
  private static final Logger LOG = LoggerFactory.getLogger(TandemStateMachine.class);

  private final SimpleStateMachineStorage storage = new SimpleStateMachineStorage();
  private final List<ClusterListener> listeners = new CopyOnWriteArrayList<>();
  private final ExecutorService notifier = Executors.newSingleThreadExecutor(r -> {
    Thread t = new Thread(r, "cluster-listeners");
    t.setDaemon(true);
    return t;
  });
  private final Runnable onLeaderReady;
  private volatile ClusterState state = ClusterState.empty();

  TandemStateMachine(Runnable onLeaderReady) {
    this.onLeaderReady = onLeaderReady;
  }

  ClusterState state() {
    return state;
  }

  void addListener(ClusterListener l) {
    listeners.add(l);
  }

  @Override
  public void initialize(RaftServer server, RaftGroupId groupId, RaftStorage raftStorage) throws IOException {
    super.initialize(server, groupId, raftStorage);
    storage.init(raftStorage);
    load();
    getLifeCycle().startAndTransition(() -> { });
  }

  /**
   * Called by Ratis before it installs a snapshot the leader sent (a follower too far behind, or a node that joins
   * after the leader's log was purged up to its snapshot): Ratis then requires the machine to be PAUSED, and it
   * stopped the node's Raft server when it was not.
   */
  @Override
  public void pause() {
    if (getLifeCycleState() == LifeCycle.State.RUNNING) {
      getLifeCycle().transition(LifeCycle.State.PAUSING);
      getLifeCycle().transition(LifeCycle.State.PAUSED);
    }
  }

  /** After a snapshot was installed: the state becomes the snapshot's, and the machine runs again. */
  @Override
  public void reinitialize() throws IOException {
    load();
    if (getLifeCycleState() == LifeCycle.State.PAUSED) {
      getLifeCycle().transition(LifeCycle.State.STARTING);
      getLifeCycle().transition(LifeCycle.State.RUNNING);
    }
  }

  /** Loads the latest snapshot, if there is one, as the state. */
  private void load() throws IOException {
    SingleFileSnapshotInfo snap = storage.loadLatestSnapshot();
    if (snap == null) {
      return;
    }
    File f = snap.getFile().getPath().toFile();
    // The stored MD5 against the file's bytes (MD5FileUtil.verifySavedMD5 compares the stored one with itself).
    if (snap.getFile().getFileDigest() != null && !MD5FileUtil.computeMd5ForFile(f).equals(snap.getFile().getFileDigest())) {
      throw new IOException("the cluster state snapshot " + f + " does not match its MD5 file: it is damaged; move it"
          + " and its .md5 aside and start again (the node then replays its log, or gets a snapshot from the leader)");
    }
    state = ClusterCodec.decode(Files.readAllBytes(f.toPath()), ClusterState.class);
    setLastAppliedTermIndex(snap.getTermIndex());
    LOG.info("loaded cluster state snapshot at index {} ({} members, {} groups)",
        snap.getIndex(), state.members().size(), state.groups().size());
  }

  @Override
  public StateMachineStorage getStateMachineStorage() {
    return storage;
  }

  @Override
  public long takeSnapshot() throws IOException {
    ClusterState s = state;
    TermIndex last = getLastAppliedTermIndex();
    File f = storage.getSnapshotFile(last.getTerm(), last.getIndex());
    java.nio.file.Path part = f.toPath().resolveSibling(f.getName() + ".part"); // a name Ratis never takes for a snapshot
    try {
      try (var ch = java.nio.channels.FileChannel.open(part, java.nio.file.StandardOpenOption.CREATE,
          java.nio.file.StandardOpenOption.TRUNCATE_EXISTING, java.nio.file.StandardOpenOption.WRITE)) {
        ch.write(java.nio.ByteBuffer.wrap(ClusterCodec.encode(s)));
        ch.force(true);
      }
      Files.move(part, f.toPath(), java.nio.file.StandardCopyOption.ATOMIC_MOVE);
      var md5 = MD5FileUtil.computeAndSaveMd5ForFile(f);
      // What the leader sends a node that needs a snapshot, and what a reload reads: this one from now on (Ratis
      // caches the latest it found at start otherwise, which the retention policy deletes later).
      storage.updateLatestSnapshot(new SingleFileSnapshotInfo(new org.apache.ratis.server.storage.FileInfo(f.toPath(), md5),
          last));
    } catch (IOException e) {
      throw new IOException("Failed to save snapshot (index " + last.getIndex() + ") to file " + f, e);
    }
    return last.getIndex();
  }

  @Override
  public TransactionContext startTransaction(RaftClientRequest request) throws IOException {
    TransactionContext trx = super.startTransaction(request);
    try {
      ClusterCodec.decode(request.getMessage().getContent().toByteArray(), ClusterCommand.class);
    } catch (IOException e) {
      trx.setException(new IllegalArgumentException("Invalid command: " + e.getMessage()));
    }
    return trx;
  }

  @Override
  public CompletableFuture<Message> applyTransaction(TransactionContext trx) {
    LogEntryProto entry = trx.getLogEntry();
    ClusterCommand cmd;
    try {
      cmd = ClusterCodec.decode(entry.getStateMachineLogEntry().getLogData().toByteArray(), ClusterCommand.class);
    } catch (IOException e) {
      // startTransaction refuses malformed commands, so this is a log written by another version.
      updateLastAppliedTermIndex(entry.getTerm(), entry.getIndex());
      return CompletableFuture.completedFuture(Message.valueOf(new String(
          ClusterCodec.encode(CommandResult.refused("unreadable command: " + e.getMessage())),
          java.nio.charset.StandardCharsets.UTF_8)));
    }
    ClusterState before = state;
    ClusterState.Applied applied = before.apply(cmd, entry.getIndex());
    state = applied.state();
    updateLastAppliedTermIndex(entry.getTerm(), entry.getIndex());
    notifier.execute(() -> notifyListeners(before, cmd, applied));
    return CompletableFuture.completedFuture(Message.valueOf(
        org.apache.ratis.thirdparty.com.google.protobuf.ByteString.copyFrom(ClusterCodec.encode(applied.result()))));
  }

  private void notifyListeners(ClusterState before, ClusterCommand cmd, ClusterState.Applied applied) {
    for (ClusterListener l : listeners) {
      try {
        l.applied(before, cmd, applied.result(), applied.state());
      } catch (RuntimeException e) {
        LOG.error("cluster listener {} failed on {}; please report it as a bug", l, cmd, e);
      }
    }
  }

  @Override
  public void notifyLeaderReady() {
    onLeaderReady.run();
  }

  @Override
  public void close() throws IOException {
    notifier.shutdownNow();
    super.close();
  }
}
