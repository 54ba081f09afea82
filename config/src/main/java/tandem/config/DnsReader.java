package tandem.config;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import tandem.core.NodeName;

/** Reads the optional {@code dns:} section. */
final class DnsReader {
  static final List<String> KEYS = List.of("listen", "zone", "ttl", "geo");
  private static final Duration MAX_TTL = Duration.ofHours(1);

  private DnsReader() {}

  /** The section, empty when absent, null when it has problems (they are reported). */
  static Optional<DnsConfig> read(Section top) {
    if (!top.has("dns")) {
      return Optional.empty();
    }
    Section s = top.section("dns", KEYS);
    int mark = s.problems().mark();
    HostPort listen = s.has("listen") ? s.hostPort("listen", null) : DnsConfig.DEFAULT_LISTEN;
    String zone = zone(s);
    Duration ttl = ttl(s);
    List<DnsConfig.GeoRule> rules = new ArrayList<>();
    String fallback = geo(s, rules);
    if (!s.problems().noneSince(mark) || s.broken()) {
      return null;
    }
    return Optional.of(new DnsConfig(listen, zone, ttl, rules, Optional.ofNullable(fallback)));
  }

  private static String zone(Section s) {
    String text = s.required("zone", "the zone tandem answers for, e.g. zone: ha.example.com (then web.ha.example.com"
        + " is group web's primary)");
    if (text == null) {
      return null;
    }
    String zone = text.toLowerCase(Locale.ROOT);
    zone = zone.endsWith(".") ? zone.substring(0, zone.length() - 1) : zone;
    if (zone.length() > 253 || !DnsConfig.ZONE.matcher(zone).matches()) {
      s.problem("zone", "'" + text + "' is not a DNS name: use labels of letters, digits and '-' (at most 63 each)"
          + " joined by dots, e.g. zone: ha.example.com");
      return null;
    }
    return zone;
  }

  private static Duration ttl(Section s) {
    Duration ttl = s.duration("ttl", DnsConfig.DEFAULT_TTL);
    if (ttl == null) {
      return null;
    }
    if (ttl.toMillis() % 1000 != 0 || ttl.compareTo(MAX_TTL) > 0) {
      s.problem("ttl", "must be whole seconds from 1s to 1h (DNS TTLs are seconds; keep it short so clients follow a"
          + " failover), e.g. ttl: 5s");
      return null;
    }
    return ttl;
  }

  /** Reads {@code geo:} into {@code rules}; returns the {@code default} node, or null. */
  private static String geo(Section s, List<DnsConfig.GeoRule> rules) {
    if (!s.has("geo")) {
      return null;
    }
    Section g = s.open("geo", "a map from client networks to node names, e.g. geo: { \"10.8.0.0/16\": n2, default: n1 }");
    String fallback = null;
    for (String key : g.keys()) {
      String node = g.text(key);
      if (node == null) {
        if (!g.has(key)) {
          g.problem(key, "needs a node name, e.g. \"" + key + "\": n1");
        }
        continue;
      }
      if (!NodeName.isValid(node)) {
        g.problem(key, "'" + node + "' is not a node name; write the name of the node nearest to these clients, e.g. n1");
        continue;
      }
      if (key.equals("default")) {
        fallback = node;
        continue;
      }
      try {
        rules.add(new DnsConfig.GeoRule(Cidr.parse(key), node));
      } catch (IllegalArgumentException e) {
        g.problem(key, e.getMessage().replace("192.0.2.100/24", "10.8.0.0/16") + "; or use the key default for clients"
            + " no rule matches");
      }
    }
    return fallback;
  }
}
