package tandem.cluster;

/**
 * Hears about every applied command, in log order, on one dedicated thread. Implementations must
 * return quickly and not throw; slow work (running commands) belongs on another thread.
 */
@FunctionalInterface
public interface ClusterListener {
  void applied(ClusterState before, ClusterCommand command, CommandResult result, ClusterState after);
}
