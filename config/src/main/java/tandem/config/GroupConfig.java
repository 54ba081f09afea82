package tandem.config;

import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import tandem.core.Mode;
import tandem.core.NodeName;

/**
 * A group: the unit of failover, with the nodes that may run it, its resources, its health checks and its hooks.
 *
 * @param name the group name, same pattern as a node name
 * @param failback what happens when the preferred node comes back
 * @param failbackAfter how long the preferred node must be healthy before an automatic failback
 * @param nodes each listed node's mode, in file order; unmodifiable and never empty
 * @param resources started in this order on promotion, stopped in reverse on demotion
 * @param checks the group's health checks
 * @param onPromote a command run after this node becomes the group's primary
 * @param onDemote a command run after this node stops being the group's primary
 * @param hookTimeout how long onPromote and onDemote may run before they are killed
 */
public record GroupConfig(
    String name,
    Failback failback,
    Duration failbackAfter,
    Map<NodeName, Mode> nodes,
    List<ResourceConfig> resources,
    List<CheckConfig> checks,
    Optional<String> onPromote,
    Optional<String> onDemote,
    Duration hookTimeout) {

  public GroupConfig {
    if (!Names.valid(name)) {
      throw new IllegalArgumentException(Names.invalid("group", name));
    }
    Objects.requireNonNull(failback, "failback");
    Objects.requireNonNull(failbackAfter, "failbackAfter");
    if (nodes.isEmpty()) {
      throw new IllegalArgumentException("group " + name + " lists no nodes");
    }
    nodes = Collections.unmodifiableMap(new LinkedHashMap<>(nodes));
    resources = List.copyOf(resources);
    checks = List.copyOf(checks);
    Objects.requireNonNull(onPromote, "onPromote");
    Objects.requireNonNull(onDemote, "onDemote");
    Checks.positive(hookTimeout, "hookTimeout");
  }

  /** The node with mode primary, if any: where the group runs when that node is healthy. */
  public Optional<NodeName> preferred() {
    return nodes.entrySet().stream().filter(e -> e.getValue() == Mode.PRIMARY).map(Map.Entry::getKey).findFirst();
  }

  /** The node's mode in this group; {@link Mode#OFF} when the node is not listed. */
  public Mode modeOf(NodeName node) {
    return nodes.getOrDefault(node, Mode.OFF);
  }
}
