package tandem.cluster;

/**
 * What one node last said about itself for one group: its health and whether the group's
 * resources run there. Written through Raft when it changes, so every node sees the same facts.
 *
 * @param node the reporting node
 * @param group the group
 * @param passing true when no critical check fails and the agent can run the group
 * @param criticalFailing true when a critical check fails
 * @param weight the sum of check weights in force (keepalived semantics)
 * @param summary one line for `tandem status`
 * @param running true when the group's resources run on this node as primary
 * @param runningEpoch the epoch under which they were started (0 when not running)
 * @param atMillis wall-clock time of the report
 * @param position how far the group's database has come on this node (a WAL LSN: received on a
 *     replica, written on the primary); 0 when unknown or the group has no database
 * @param maxLag the most lag behind the primary, in positions, with which this node may be promoted
 *     automatically (max-lag-on-failover); 0 for no limit
 * @param lagUnit what a position counts, for sentences: "bytes of WAL", "transactions"; null when
 *     the group has no database (or the report predates the field)
 * @param maxLagMillis the most lag in time with which this node may be promoted automatically
 *     (max-lag-on-failover given as a time); 0 for no limit
 * @param behindSinceMillis with a time limit: the {@code atMillis} (on the primary's clock) of the
 *     first report of the group's primary whose position this node lacked, since it last had all
 *     the primary had reported; 0 when it had all of it at its last look (or no time limit is
 *     set); -1 when it has not had all of it since its agent started
 * @param positionMillis wall-clock time (this node's) from which its position has been {@code
 *     position}: on a primary, when it wrote the last of it; later reports with the same position
 *     keep it; 0 when unknown
 */
public record NodeReport(
    String node,
    String group,
    boolean passing,
    boolean criticalFailing,
    int weight,
    String summary,
    boolean running,
    long runningEpoch,
    long atMillis,
    long position,
    long maxLag,
    String lagUnit,
    long maxLagMillis,
    long behindSinceMillis,
    long positionMillis) {

  /** A report of a node in a group without a database. */
  public NodeReport(String node, String group, boolean passing, boolean criticalFailing, int weight, String summary,
      boolean running, long runningEpoch, long atMillis) {
    this(node, group, passing, criticalFailing, weight, summary, running, runningEpoch, atMillis, 0, 0, null, 0, 0, 0);
  }

  /** A report with a database position and a limit counted in positions only. */
  public NodeReport(String node, String group, boolean passing, boolean criticalFailing, int weight, String summary,
      boolean running, long runningEpoch, long atMillis, long position, long maxLag) {
    this(node, group, passing, criticalFailing, weight, summary, running, runningEpoch, atMillis, position, maxLag, null, 0, 0, 0);
  }
}
