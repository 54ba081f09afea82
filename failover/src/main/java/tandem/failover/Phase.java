package tandem.failover;

/** Where a group's resources are on this node. */
public enum Phase {
  /** Nothing runs here for the group. */
  STOPPED,
  /** Start commands are running (this node was promoted). */
  STARTING,
  /** The resources run here: this node serves the group as primary. */
  RUNNING,
  /** Stop commands are running (demotion, handover or fencing). */
  STOPPING,
  /** Starting failed; the group's resources were stopped again and the node reports itself unfit. */
  FAILED;
}
