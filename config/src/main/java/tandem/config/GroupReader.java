package tandem.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import tandem.core.Mode;
import tandem.core.NodeName;

/** Reads the optional {@code groups:} map and each group in it. */
final class GroupReader {
  static final List<String> KEYS = List.of(
      "failback", "failback-after", "nodes", "resources", "checks", "on-promote", "on-demote", "hook-timeout");
  static final Duration DEFAULT_FAILBACK_AFTER = Duration.ofSeconds(30);
  static final Duration DEFAULT_HOOK_TIMEOUT = Duration.ofSeconds(30);
  private static final String MODES = "primary, active, passive or off";
  private static final String NODES_EXAMPLE = "nodes: { n1: primary, n2: passive }";

  private GroupReader() {}

  /** The groups that read without problems, in file order. */
  static Map<String, GroupConfig> readAll(Section top, Path configDir) {
    Section groups = top.open("groups", "a map of group name to group settings, e.g. groups: { web: { "
        + NODES_EXAMPLE + " } }");
    Map<String, GroupConfig> result = new LinkedHashMap<>();
    for (String name : groups.keys()) {
      if (!Names.valid(name)) {
        groups.problem(name, Names.invalid("group", name));
        continue;
      }
      GroupConfig g = read(name, groups.section(name, KEYS), configDir);
      if (g != null) {
        result.put(name, g);
      }
    }
    return result;
  }

  /**
   * One group, or null when it has problems. Its own keys are read first: when they are fine the group is built
   * from the checks and resources that are fine, so the group-wide rules still run and report alongside.
   */
  static GroupConfig read(String name, Section s, Path configDir) {
    int mark = s.problems().mark();
    Failback failback = s.choice("failback", Failback.MANUAL, Failback.class, "failback mode");
    Duration failbackAfter = s.durationOrZero("failback-after", DEFAULT_FAILBACK_AFTER);
    Map<NodeName, Mode> nodes = nodes(s);
    Optional<String> onPromote = Optional.ofNullable(s.text("on-promote"));
    Optional<String> onDemote = Optional.ofNullable(s.text("on-demote"));
    Duration hookTimeout = s.duration("hook-timeout", DEFAULT_HOOK_TIMEOUT);
    boolean ownKeysFine = s.problems().noneSince(mark) && !s.broken();
    List<ResourceConfig> resources = ResourceReader.readAll(s);
    List<CheckConfig> checks = CheckReader.readAll(s, configDir);
    if (!ownKeysFine) {
      return null;
    }
    GroupConfig g = new GroupConfig(
        name, failback, failbackAfter, nodes, resources, checks, onPromote, onDemote, hookTimeout);
    ConfigValidator.group(g, s.path(), s.problems());
    return g;
  }

  private static Map<NodeName, Mode> nodes(Section group) {
    if (!group.has("nodes")) {
      group.missing("nodes", "the nodes that may run this group and their modes, e.g. " + NODES_EXAMPLE);
      return Map.of();
    }
    Section s = group.open("nodes", "a map of node name to mode, e.g. " + NODES_EXAMPLE);
    if (s.keys().isEmpty() && !s.broken()) {
      group.problem("nodes", "lists no node; give at least one, e.g. " + NODES_EXAMPLE);
    }
    Map<NodeName, Mode> modes = new LinkedHashMap<>();
    for (String node : s.keys()) {
      Mode mode = mode(s, node);
      if (mode != null) {
        modes.put(new NodeName(node), mode);
      }
    }
    return modes;
  }

  private static Mode mode(Section nodes, String node) {
    if (!NodeName.isValid(node)) {
      nodes.problem(node, Names.invalid("node", node));
      return null;
    }
    String word = nodes.required(node, "the node's mode in this group: " + MODES);
    Mode mode = word == null ? null : Mode.parse(word);
    if (word != null && mode == null) {
      nodes.problem(node, "'" + word + "' is not a mode: use " + MODES);
    }
    return mode;
  }
}
