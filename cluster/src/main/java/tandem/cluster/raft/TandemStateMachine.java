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
    reinitialize();
  }

  @Override
  public void reinitialize() throws IOException {
    SingleFileSnapshotInfo snap = storage.loadLatestSnapshot();
    if (snap == null) {
      return;
    }
    File f = snap.getFile().getPath().toFile();
    MD5FileUtil.verifySavedMD5(f, snap.getFile().getFileDigest());
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
    try {
      Files.write(f.toPath(), ClusterCodec.encode(s));
      MD5FileUtil.computeAndSaveMd5ForFile(f);
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
