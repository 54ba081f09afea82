package tandem.health;

/** Where one debounced check stands, and so what the agent should do about it. */
public enum CheckState {
  /**
   * Not enough runs yet for a verdict (fewer than {@code rise} passes or {@code fall} failures in
   * a row), or the monitor is stopped. The agent should wait: count no weight for the check and
   * neither take nor give up a group because of it.
   */
  UNKNOWN,

  /**
   * Passed {@code rise} times in a row. The agent may hold or take the group's resources; a
   * positive weight counts toward this node's priority.
   */
  PASSING,

  /**
   * Failed {@code fall} times in a row and its fix attempts, if any, are used up. A critical check
   * here means the agent should give the group up to a healthy peer; otherwise a negative weight
   * lowers this node's priority.
   */
  FAILING;
}
