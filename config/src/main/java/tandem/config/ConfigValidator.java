package tandem.config;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import tandem.core.Durations;
import tandem.core.Mode;
import tandem.core.NodeName;

/**
 * The rules that relate several settings (ports, lease timing, modes in a group, check timing), each problem named with
 * its key path. {@link ConfigLoader} applies them while reading; {@link #validate} applies them to a config built in
 * code.
 */
public final class ConfigValidator {
  private ConfigValidator() {}

  /** Every cross-field problem in {@code config}; empty when it is fine. */
  public static List<ConfigProblem> validate(TandemConfig config) {
    Problems problems = new Problems();
    node(config.node(), problems);
    failover(config.failover(), problems);
    config.groups().forEach((name, group) -> {
      String path = Problems.child("groups", name);
      group(group, path, problems);
      String checks = path + ".checks";
      for (int i = 0; i < group.checks().size(); i++) {
        check(group.checks().get(i), Problems.item(checks, i), problems);
      }
      checkNames(group.checks(), checks, problems);
    });
    witness(config.node(), config.groups(), problems);
    files(config.node(), config.groups(), problems);
    postgres(config.node(), config.groups(), problems);
    proxies(config.node(), config.groups(), problems);
    return problems.list();
  }

  /**
   * A replicated directory may not hold or sit inside another one, nor the node's data dir: the
   * two would fight over the same files.
   */
  static void files(NodeConfig node, Map<String, GroupConfig> groups, Problems problems) {
    Map<java.nio.file.Path, String> seen = new java.util.LinkedHashMap<>();
    java.nio.file.Path data = node.dataDir().toAbsolutePath().normalize();
    groups.forEach((name, group) -> {
      for (int i = 0; i < group.resources().size(); i++) {
        if (!(group.resources().get(i) instanceof FilesConfig f)) {
          continue;
        }
        String key = Problems.item(Problems.child("groups", name) + ".resources", i) + ".files.path";
        if (data.startsWith(f.path()) || f.path().startsWith(data)) {
          problems.add(key, f.path() + " overlaps this node's data dir " + data + "; replicate a directory outside it");
        }
        for (var e : seen.entrySet()) {
          if (e.getKey().startsWith(f.path()) || f.path().startsWith(e.getKey())) {
            problems.add(key, f.path() + " overlaps " + e.getKey() + " (" + e.getValue() + "); each replicated directory"
                + " must stand on its own: neither may contain the other");
          }
        }
        seen.put(f.path(), key);
      }
    });
  }

  /** A PostgreSQL data dir may not sit inside tandem's data dir (nor hold it): pg_basebackup and rewinds replace it whole. */
  static void postgres(NodeConfig node, Map<String, GroupConfig> groups, Problems problems) {
    java.nio.file.Path data = node.dataDir().toAbsolutePath().normalize();
    groups.forEach((name, group) -> {
      for (int i = 0; i < group.resources().size(); i++) {
        if (group.resources().get(i) instanceof PostgresConfig p && (p.data().startsWith(data) || data.startsWith(p.data()))) {
          problems.add(Problems.item(Problems.child("groups", name) + ".resources", i) + ".postgres.data", p.data()
              + " is inside this node's data dir " + data + "; give PostgreSQL a directory of its own, e.g. /var/lib/tandem-pg");
        }
      }
    });
  }

  /**
   * A proxy's ports (listen, read-listen, and peer-port on the node's listen address) may not be taken by the node's
   * own listen, raft or api port, nor by another group's proxy.
   */
  static void proxies(NodeConfig node, Map<String, GroupConfig> groups, Problems problems) {
    Map<String, HostPort> taken = new java.util.LinkedHashMap<>();
    taken.put("node.listen", node.listen());
    taken.put("node.raft-port", node.raft());
    taken.put("node.api", node.api());
    groups.forEach((name, group) -> {
      for (int i = 0; i < group.resources().size(); i++) {
        if (!(group.resources().get(i) instanceof ProxyConfig p)) {
          continue;
        }
        String key = Problems.item(Problems.child("groups", name) + ".resources", i) + ".proxy";
        Map<String, HostPort> mine = new java.util.LinkedHashMap<>();
        mine.put(key + ".listen", p.listen());
        p.readListen().ifPresent(r -> mine.put(key + ".read-listen", r));
        mine.put(key + ".peer-port", new HostPort(node.listen().host(), p.peerPort()));
        mine.forEach((k, at) -> taken.entrySet().stream().filter(t -> clash(at, t.getValue())).findFirst()
            .ifPresent(t -> problems.add(k, "port " + at.port() + " is already used by " + t.getKey()
                + "; give each its own port")));
        taken.putAll(mine);
      }
    });
  }

  /** A MariaDB data dir of its own, outside tandem's data dir (which holds the node's keys). */
  static void mariadb(NodeConfig node, Map<String, GroupConfig> groups, Problems problems) {
    java.nio.file.Path data = node.dataDir().toAbsolutePath().normalize();
    groups.forEach((name, group) -> {
      for (int i = 0; i < group.resources().size(); i++) {
        if (group.resources().get(i) instanceof MariadbConfig m && (m.data().startsWith(data) || data.startsWith(m.data()))) {
          problems.add(Problems.item(Problems.child("groups", name) + ".resources", i) + ".mariadb.data", m.data()
              + " is inside this node's data dir " + data + "; give MariaDB a directory of its own, e.g. /var/lib/tandem-mysql");
        }
      }
    });
  }

  /** listen, raft and api need three different ports when they share an interface. */
  static void node(NodeConfig node, Problems problems) {
    if (clash(node.raft(), node.listen())) {
      problems.add("node.raft-port", "port " + node.raft().port() + " is already used by node.listen; "
          + "give each its own port");
    }
    if (clash(node.api(), node.listen())) {
      problems.add("node.api", "port " + node.api().port() + " is already used by node.listen; give each its own port");
    } else if (clash(node.api(), node.raft())) {
      problems.add("node.api", "port " + node.api().port() + " is already used by the raft port (node.raft-port, "
          + "by default the node.listen port + 1); give each its own port");
    }
  }

  // A wildcard host (0.0.0.0) binds every interface, so it clashes with any host on the same port.
  private static boolean clash(HostPort a, HostPort b) {
    return a.port() == b.port() && a.sharesInterfaceWith(b);
  }

  /** The lease must survive two lost renewals, and the promote margin must be a small part of it. */
  static void failover(FailoverSettings f, Problems problems) {
    Duration least = f.renewInterval().multipliedBy(3);
    if (f.lease().compareTo(least) < 0) {
      problems.add("failover.lease", text(f.lease()) + " is shorter than 3 x renew-interval ("
          + text(f.renewInterval()) + "), so a primary could lose its lease after two slow renewals; make lease at "
          + "least " + text(least) + " or renew-interval at most " + text(f.lease().dividedBy(3)));
    }
    if (f.promoteMargin().compareTo(f.lease()) >= 0) {
      problems.add("failover.promote-margin", text(f.promoteMargin()) + " must be shorter than lease ("
          + text(f.lease()) + "): it is the allowance for clock drift added after a lease lapses, e.g. 300ms");
    }
  }

  /** A group needs a node that may run it, and at most one preferred (primary-mode) node. */
  static void group(GroupConfig group, String path, Problems problems) {
    if (group.nodes().values().stream().noneMatch(Mode::eligible)) {
      problems.add(path + ".nodes", "no node may run this group (all are off); "
          + "give at least one node mode primary, active or passive");
    }
    List<String> primaries = group.nodes().entrySet().stream()
        .filter(e -> e.getValue() == Mode.PRIMARY).map(e -> e.getKey().value()).toList();
    if (primaries.size() > 1) {
      problems.add(path + ".nodes", andList(primaries) + (primaries.size() == 2 ? " are both" : " are all")
          + " primary; at most one node may be primary (the preferred one): make the others active or passive");
    }
    boolean database = group.resources().stream().anyMatch(r -> r instanceof PostgresConfig || r instanceof MariadbConfig);
    for (int i = 0; i < group.checks().size(); i++) {
      if (group.checks().get(i).target() instanceof CheckTarget.Sql && !database) {
        problems.add(Problems.item(path + ".checks", i) + ".sql", "this group has no database resource to query; add a"
            + " postgres or mariadb resource to the group, or check the server with tcp: or command: instead");
      }
    }
  }

  /** A check's timing and its weight, critical and fix settings must agree. */
  static void check(CheckConfig check, String path, Problems problems) {
    if (check.timeout().compareTo(check.interval()) > 0) {
      problems.add(path + ".timeout", text(check.timeout()) + " is longer than interval (" + text(check.interval())
          + "); a run must end before the next starts: make timeout at most the interval or raise interval");
    }
    if (check.critical() && check.weight() != 0) {
      problems.add(path + ".critical", "a critical check makes the node ineligible on its own, so weight "
          + check.weight() + " would never count; remove weight or critical");
    }
    if (check.fix().isEmpty() && check.fixAttempts() != 0) {
      problems.add(path + ".fix-attempts", "is set but there is no fix; add fix: <command that repairs it> "
          + "or remove fix-attempts");
    } else if (check.fix().isPresent() && check.fixAttempts() == 0) {
      problems.add(path + ".fix-attempts", "must be from 1 to " + CheckConfig.MAX_FIX_ATTEMPTS + " when fix is set");
    }
  }

  /** Check names are unique in a group; {@code checks} may hold nulls for items that failed to read. */
  static void checkNames(List<CheckConfig> checks, String path, Problems problems) {
    Map<String, Integer> first = new HashMap<>();
    for (int i = 0; i < checks.size(); i++) {
      CheckConfig c = checks.get(i);
      Integer earlier = c == null ? null : first.putIfAbsent(c.name(), i);
      if (earlier != null) {
        problems.add(Problems.item(path, i) + ".name", "'" + c.name() + "' is already the name of checks["
            + earlier + "]; set name: on one of them so that each check has its own");
      }
    }
  }

  /** A witness only votes: no group may name it. */
  static void witness(NodeConfig node, Map<String, GroupConfig> groups, Problems problems) {
    if (!node.witness()) {
      return;
    }
    NodeName me = node.name();
    groups.forEach((name, group) -> {
      if (group.nodes().containsKey(me)) {
        problems.add("groups." + name + ".nodes." + me, me + " is a witness (node.witness: true): a witness "
            + "only votes and holds no group; remove it from this group or set witness: false");
      }
    });
  }

  private static String andList(List<String> words) {
    return String.join(", ", words.subList(0, words.size() - 1)) + " and " + words.getLast();
  }

  // Durations.format rounds to a tenth of a second, which could turn "at most 1666ms" into a wrong "1.7s".
  private static String text(Duration d) {
    long ms = d.toMillis();
    return ms % 1000 == 0 || (ms < 60_000 && ms % 100 == 0) ? Durations.format(d) : ms + "ms";
  }
}
