package tandem.testkit;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.Predicate;
import tandem.cluster.Cluster;
import tandem.cluster.ClusterCommand;
import tandem.cluster.ClusterListener;
import tandem.cluster.ClusterState;
import tandem.cluster.CommandResult;
import tandem.cluster.Member;

/**
 * A {@link Cluster} without Raft, as one node sees it. Commands are applied with {@link ClusterState#apply}, one at a
 * time in submit order, on one "apply" thread that then tells the listeners (in order) and completes the submitter's
 * future, as a Raft node does once it applied an entry. The test plays Raft's part: it says whether this node is the
 * ready leader, who the leader is, how long the peers have been silent, and whether a quorum can be reached.
 *
 * <p>Without quorum ({@link #loseQuorum()}) a submit is held, the way a partitioned node's proposal is: it fails with a
 * {@link java.util.concurrent.TimeoutException} when its timeout runs out, or is applied (in submit order) if the
 * quorum comes back first.
 */
public final class FakeCluster implements Cluster, AutoCloseable {
  /** One applied command with its result and when it was applied ({@link System#nanoTime()} and wall clock). */
  public record Entry(long index, ClusterCommand command, CommandResult result, long atNanos, long atMillis) {}

  private record Held(ClusterCommand command, CompletableFuture<CommandResult> future) {}

  private final ExecutorService applier = Executors.newSingleThreadExecutor(r -> {
    Thread t = new Thread(r, "fake-raft-apply");
    t.setDaemon(true);
    return t;
  });
  private final List<ClusterListener> listeners = new CopyOnWriteArrayList<>();
  private final List<ClusterCommand> submitted = new CopyOnWriteArrayList<>();
  private final List<Entry> log = new CopyOnWriteArrayList<>();
  private final List<Map.Entry<Predicate<ClusterCommand>, Function<ClusterState, ClusterCommand>>> slipIns = new CopyOnWriteArrayList<>();
  private final List<Held> held = new ArrayList<>(); // guarded by this
  private boolean quorum = true; // guarded by this
  private final List<Predicate<ClusterCommand>> drops = new CopyOnWriteArrayList<>();
  private volatile ClusterState state;
  private volatile boolean leaderReady;
  private volatile String leader;
  private volatile Map<String, Duration> peerSilence = Map.of();

  public FakeCluster(ClusterState start) {
    this.state = start;
  }

  /** Cluster "shop" whose voters are data nodes with these names, the first one bootstrapped it. */
  public static FakeCluster withDataNodes(String... names) {
    FakeCluster c = new FakeCluster(ClusterState.empty());
    c.apply(new ClusterCommand.Bootstrap("shop", member(names[0], false)));
    for (int i = 1; i < names.length; i++) {
      c.join(member(names[i], false));
    }
    return c;
  }

  /** A member with a 52-character id like a real one (base32 SHA-256), distinct per name. */
  public static Member member(String name, boolean witness) {
    StringBuilder id = new StringBuilder();
    for (char ch : name.toCharArray()) {
      id.append("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567".charAt(ch % 32));
    }
    id.append("A".repeat(52));
    return new Member(name, id.substring(0, 52), "-----BEGIN CERTIFICATE-----\n" + name + "\n-----END CERTIFICATE-----",
        "127.0.0.1:7400", "127.0.0.1:7401", "127.0.0.1:8400", witness, 1_800_000_000_000L);
  }

  /** Adds a member (and voter) through an invite, as `tandem join` does. */
  public void join(Member m) {
    long now = System.currentTimeMillis();
    apply(new ClusterCommand.CreateInvite("hash-" + m.name(), state.members().firstKey(), now + 3_600_000));
    CommandResult r = apply(new ClusterCommand.Join("hash-" + m.name(), m, now));
    if (!r.ok()) {
      throw new IllegalStateException("join of " + m.name() + " refused: " + r.message());
    }
  }

  // ---- Cluster ----------------------------------------------------------------------------

  @Override
  public ClusterState state() {
    return state;
  }

  @Override
  public synchronized CompletableFuture<CommandResult> submit(ClusterCommand command, Duration timeout) {
    submitted.add(command);
    CompletableFuture<CommandResult> f = new CompletableFuture<>();
    for (Predicate<ClusterCommand> d : drops) {
      if (d.test(command) && drops.remove(d)) {
        f.completeExceptionally(new java.util.concurrent.TimeoutException("dropped by the test: " + command));
        return f;
      }
    }
    if (quorum) {
      applier.execute(() -> applyNow(command, f));
    } else {
      held.add(new Held(command, f));
      f.orTimeout(timeout.toNanos(), TimeUnit.NANOSECONDS);
    }
    return f;
  }

  @Override
  public boolean isLeaderReady() {
    return leaderReady;
  }

  @Override
  public String leader() {
    return leader;
  }

  @Override
  public Map<String, Duration> peerSilence() {
    return peerSilence;
  }

  @Override
  public void addListener(ClusterListener listener) {
    listeners.add(listener);
  }

  // ---- what the test decides --------------------------------------------------------------

  /** This node is (or is no longer) the Raft leader with an entry of its term committed; names it leader too. */
  public void setLeaderReady(boolean ready, String self) {
    leaderReady = ready;
    if (ready) {
      leader = self;
    }
  }

  public void setLeader(String name) {
    leader = name;
  }

  public void setPeerSilence(Map<String, Duration> silence) {
    peerSilence = Map.copyOf(silence);
  }

  /** From now on submits are held until their timeout (or until {@link #regainQuorum()}): a partition. */
  public synchronized void loseQuorum() {
    quorum = false;
  }

  /** Applies the held submits that have not timed out yet, in submit order, and lets new ones through. */
  public synchronized void regainQuorum() {
    quorum = true;
    for (Held h : held) {
      applier.execute(() -> applyNow(h.command(), h.future()));
    }
    held.clear();
  }

  /**
   * Applies {@code first} just before the next submitted command that matches {@code when}, as if it had reached the
   * log first (e.g. a renewal that lands between the leader's decision and the commit of its promotion). {@code first}
   * is made from the state at that moment.
   */
  public void slipIn(Predicate<ClusterCommand> when, Function<ClusterState, ClusterCommand> first) {
    slipIns.add(Map.entry(when, first));
  }

  /** The next submitted command that matches {@code when} is never applied: its submit times out, as a lost one does. */
  public void dropNext(Predicate<ClusterCommand> when) {
    drops.add(when);
  }

  /** Submits with quorum assumed and waits for the result (for setting up a scenario). */
  public CommandResult apply(ClusterCommand command) {
    return submit(command, Duration.ofSeconds(10)).join();
  }

  // ---- what the test reads ----------------------------------------------------------------

  /** Every command submitted, applied or not, in submit order. */
  public List<ClusterCommand> submitted() {
    return List.copyOf(submitted);
  }

  public <T extends ClusterCommand> List<T> submitted(Class<T> type) {
    return submitted.stream().filter(type::isInstance).map(type::cast).toList();
  }

  /** Every applied command, in log order. */
  public List<Entry> log() {
    return List.copyOf(log);
  }

  public List<Entry> applied(Class<? extends ClusterCommand> type) {
    return log.stream().filter(e -> type.isInstance(e.command())).toList();
  }

  @Override
  public void close() {
    applier.shutdownNow();
  }

  // ---- the apply thread -------------------------------------------------------------------

  private void applyNow(ClusterCommand command, CompletableFuture<CommandResult> f) {
    if (f.isDone()) {
      return; // timed out before the quorum came back: never committed
    }
    for (var s : slipIns) {
      if (s.getKey().test(command) && slipIns.remove(s)) {
        applyOne(s.getValue().apply(state));
        break;
      }
    }
    f.complete(applyOne(command));
  }

  private CommandResult applyOne(ClusterCommand command) {
    ClusterState before = state;
    ClusterState.Applied a = before.apply(command, before.index() + 1);
    state = a.state();
    log.add(new Entry(a.state().index(), command, a.result(), System.nanoTime(), System.currentTimeMillis()));
    for (ClusterListener l : listeners) {
      l.applied(before, command, a.result(), a.state());
    }
    return a.result();
  }
}
