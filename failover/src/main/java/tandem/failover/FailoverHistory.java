package tandem.failover;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import tandem.cluster.ClusterCommand;
import tandem.cluster.ClusterState;
import tandem.cluster.GroupState;
import tandem.cluster.NodeReport;
import tandem.core.Ticker;

/**
 * How often each group changed primary and how long it had none, worked out from the cluster state as each command is
 * applied, so every node counts the same moves. A <em>failover</em> is a promotion that replaces a primary (its lease
 * lapsed, it failed a critical check, or an operator forced it); a <em>switchover</em> is a planned release. The
 * <em>gap</em> of a move runs from the last moment the old primary was known to hold the group (its last renewal this
 * node applied, or the switchover request) until the new primary reports the group running under the new epoch.
 * Commands replayed from the log at start are history, not news: the caller says so and they are not counted.
 * Thread-safe.
 */
public final class FailoverHistory {
  /** One change of primary, once the new primary runs. */
  public record Gap(String group, String kind, double seconds) {}

  /** The counts of one group since the agent started. */
  public record Counts(String group, long failovers, long switchovers, double lastGapSeconds) {}

  private record Pending(String kind, long sinceNanos, long epoch) {}

  private final Ticker ticker;
  private final Map<String, Long> lastRenewal = new ConcurrentHashMap<>();
  private final Map<String, Long> switchoverAsked = new ConcurrentHashMap<>();
  private final Map<String, Pending> pending = new ConcurrentHashMap<>();
  private final Map<String, Counts> counts = new ConcurrentHashMap<>();
  private final List<Consumer<Gap>> listeners = new CopyOnWriteArrayList<>();

  public FailoverHistory(Ticker ticker) {
    this.ticker = ticker;
  }

  /** Calls {@code listener} with each gap that ends from now on (e.g. to fill a histogram). */
  public void onGap(Consumer<Gap> listener) {
    listeners.add(listener);
  }

  public List<Counts> counts() {
    return counts.values().stream().sorted(java.util.Comparator.comparing(Counts::group)).toList();
  }

  /** Takes one applied command; {@code replayed} for commands from before the agent started. */
  public void applied(ClusterState before, ClusterCommand cmd, ClusterState after, boolean replayed) {
    long now = ticker.nanos();
    switch (cmd) {
      case ClusterCommand.Renew r -> lastRenewal.put(r.group(), now);
      case ClusterCommand.RequestSwitchover r -> switchoverAsked.put(r.group(), now);
      case ClusterCommand.Promote p -> moved(p.group(), before, after, "failover", lastRenewal.getOrDefault(p.group(), now),
          replayed);
      case ClusterCommand.Release r -> moved(r.group(), before, after, "switchover",
          switchoverAsked.getOrDefault(r.group(), now), replayed);
      case ClusterCommand.Reform r when r.group() != null -> moved(r.group(), before, after, "failover",
          lastRenewal.getOrDefault(r.group(), now), replayed);
      default -> { }
    }
    pending.forEach((group, p) -> {
      GroupState g = after.groups().get(group);
      NodeReport rep = g == null || !g.hasPrimary() ? null : after.report(g.primary(), group);
      if (g != null && g.epoch() == p.epoch() && rep != null && rep.running() && rep.runningEpoch() == g.epoch()
          && pending.remove(group, p)) {
        ended(new Gap(group, p.kind(), (now - p.sinceNanos()) / 1e9));
      }
    });
  }

  private void moved(String group, ClusterState before, ClusterState after, String kind, long since, boolean replayed) {
    GroupState was = before.groups().get(group);
    GroupState is = after.groups().get(group);
    // The first start of a group (no epoch yet) is no failover; a command that changed nothing was refused.
    if (replayed || was == null || is == null || was.epoch() == 0 || is.epoch() == was.epoch()) {
      return;
    }
    counts.merge(group, new Counts(group, kind.equals("failover") ? 1 : 0, kind.equals("switchover") ? 1 : 0, 0),
        (a, b) -> new Counts(group, a.failovers() + b.failovers(), a.switchovers() + b.switchovers(), a.lastGapSeconds()));
    // A promotion that replaces one that never got running keeps the gap's start: the group had no primary meanwhile.
    Pending earlier = pending.get(group);
    pending.put(group, new Pending(kind, earlier != null ? earlier.sinceNanos() : since, is.epoch()));
    switchoverAsked.remove(group);
  }

  private void ended(Gap gap) {
    counts.compute(gap.group(), (k, c) -> c == null ? new Counts(k, 0, 0, gap.seconds())
        : new Counts(k, c.failovers(), c.switchovers(), gap.seconds()));
    for (Consumer<Gap> l : listeners) {
      l.accept(gap);
    }
  }
}
