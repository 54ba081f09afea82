package tandem.cluster;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/** How a node's own definition of a group (from its tandem.yaml) differs from the cluster's, key by key. */
public final class DefinitionDiff {
  private DefinitionDiff() {}

  /**
   * The differing keys as one line, e.g. {@code nodes.n3: passive here, off in the cluster's; failback: auto here,
   * manual in the cluster's}; empty when the two agree.
   */
  public static String between(Map<String, String> modes, String failback, long failbackAfterMillis, GroupState cluster) {
    List<String> out = new ArrayList<>();
    for (String node : new TreeSet<>(union(modes.keySet(), cluster.modes().keySet()))) {
      String here = modes.getOrDefault(node, "off");
      String there = cluster.modeOf(node);
      if (!here.equals(there)) {
        out.add("nodes." + node + ": " + here + " here, " + there + " in the cluster's");
      }
    }
    if (!failback.equals(cluster.failback())) {
      out.add("failback: " + failback + " here, " + cluster.failback() + " in the cluster's");
    }
    if (failbackAfterMillis != cluster.failbackAfterMillis()) {
      out.add("failback-after: " + failbackAfterMillis + "ms here, " + cluster.failbackAfterMillis()
          + "ms in the cluster's");
    }
    return String.join("; ", out);
  }

  private static java.util.Set<String> union(java.util.Set<String> a, java.util.Set<String> b) {
    var u = new java.util.HashSet<>(a);
    u.addAll(b);
    return u;
  }
}
