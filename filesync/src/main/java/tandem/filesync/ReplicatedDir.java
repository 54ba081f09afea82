package tandem.filesync;

import io.grpc.Channel;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tandem.config.FilesConfig;
import tandem.core.EventSink;

/**
 * A {@code files} resource of a group on this node: a replica that receives until the node becomes
 * primary, then a sender until it stops being primary. The index is saved every
 * {@link #SAVE_EVERY} and on close; expired versions are removed hourly.
 */
public final class ReplicatedDir implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ReplicatedDir.class);
  static final Duration SAVE_EVERY = Duration.ofSeconds(30);
  /** How long the watcher gathers events before the changed paths are scanned. */
  public static final Duration COALESCE = Duration.ofMillis(2);

  private final String group;
  private final int resource;
  private final LocalTree tree;
  private final Receiver receiver;
  private final Sender sender;
  private final ScheduledExecutorService chores;

  private ReplicatedDir(String group, int resource, LocalTree tree, Receiver receiver, Sender sender) {
    this.group = group;
    this.resource = resource;
    this.tree = tree;
    this.receiver = receiver;
    this.sender = sender;
    this.chores = Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().daemon()
        .name("filesync-chores-" + group + "-" + resource).factory());
    chores.scheduleWithFixedDelay(tree::saveQuietly, SAVE_EVERY.toSeconds(), SAVE_EVERY.toSeconds(), TimeUnit.SECONDS);
    chores.scheduleWithFixedDelay(this::expireVersions, 1, 3600, TimeUnit.SECONDS);
  }

  /**
   * Opens the directory and registers it with {@code service} to receive from the primary.
   *
   * @param dataDir the agent's data dir; the index goes to files/&lt;group&gt;-&lt;resource&gt;.index there
   */
  public static ReplicatedDir open(String self, String group, int resource, FilesConfig cfg, Path dataDir,
      SyncPeers peers, Function<SyncPeers.Peer, Channel> channels, EventSink events, FileSyncService service)
      throws IOException {
    ApplierOptions options = ApplierOptions.of(self).withGroup(group).withEvents(events);
    if (cfg.keepVersions().isPresent()) {
      options = options.withKeepVersions(cfg.keepVersions().get());
    }
    if (cfg.owner().isPresent()) {
      options = options.withOwner(Owner.lookup(cfg.owner().get(), cfg.path().getFileSystem()));
    }
    LocalTree tree = LocalTree.open(cfg.path(), dataDir.resolve("files").resolve(group + "-" + resource + ".index"),
        cfg.exclude(), options, events, self, group);
    Receiver receiver = new Receiver(self, group, tree, events);
    Sender sender = new Sender(self, group, resource, tree, peers, channels, events, cfg.rescan(), COALESCE);
    service.register(group, resource, receiver);
    return new ReplicatedDir(group, resource, tree, receiver, sender);
  }

  /** This node became the group's primary under {@code epoch}: stop receiving, start sending. */
  public void becomePrimary(long epoch) throws IOException {
    receiver.stopReceiving("this node became the primary of " + group);
    sender.start(epoch);
  }

  /** This node is no longer the primary: stop sending; the primary's streams are accepted again. */
  public void becomeReplica() {
    sender.stop();
  }

  public Path root() {
    return tree.root();
  }

  public FilesStatus status() {
    return new FilesStatus(group, resource, tree.root().toString(), sender.running(), tree.index().size(),
        tree.index().totalBytes(), sender.running() ? sender.status() : List.of(), receiver.status());
  }

  private void expireVersions() {
    try {
      tree.applier().expireVersions();
    } catch (IOException | RuntimeException e) {
      LOG.warn("cannot expire old versions under {}: {}", tree.root(), e.toString());
    }
  }

  @Override
  public void close() {
    chores.shutdownNow();
    sender.stop();
    receiver.close();
    tree.saveQuietly();
  }
}
