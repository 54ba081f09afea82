package tandem.agent;

import java.time.InstantSource;
import java.util.Set;
import tandem.alert.Notifier;
import tandem.cluster.Cluster;
import tandem.config.TandemConfig;
import tandem.core.Event;
import tandem.core.EventLog;

/**
 * Starts the notifier for {@code alerts:} and decides which node sends what.
 *
 * <p>Every node sends the events only it can see: its checks, its own promotion or demotion, its backups, its
 * conflict copies, a peer it refused. The events in {@link #FROM_CLUSTER_STATE} are different: every node raises them
 * alike when it applies the same Raft command (see {@code Agent.onApplied}), so if every node sent them a failover
 * in a 3-node cluster would be three alerts. Only the Raft leader sends those. The leader is the node that committed
 * the command, so one is always there when such an event exists (no quorum, no commands, no such events); across a
 * change of leader an event may be sent twice or, rarely, not at all, and the nodes' own events still tell the story.
 */
final class AlertWiring {
  /** Event kinds every node raises from the same applied command. */
  static final Set<String> FROM_CLUSTER_STATE = Set.of("joined", "primary-changed", "switchover", "paused", "resumed",
      "reformed", "member-removed", "definition-differs");

  private AlertWiring() {}

  static Notifier start(TandemConfig cfg, String self, EventLog events, Cluster cluster) {
    Notifier n = Notifier.start(cfg.cluster(), self, cfg.alerts(),
        e -> sendsHere(e, self, cluster), events, InstantSource.system(), Notifier.Settings.DEFAULT);
    events.subscribe(n);
    return n;
  }

  static boolean sendsHere(Event e, String self, Cluster cluster) {
    return !FROM_CLUSTER_STATE.contains(e.kind()) || self.equals(cluster.leader());
  }
}
