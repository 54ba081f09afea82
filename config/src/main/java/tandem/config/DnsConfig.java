package tandem.config;

import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The optional {@code dns:} section: an authoritative DNS responder on this node answering for
 * {@code <group>.<zone>} with the address of the group's primary (or, for a group with active nodes,
 * the healthy nodes running it, nearest first by {@link #geo}).
 *
 * @param listen where the responder listens, UDP and TCP; 0.0.0.0:53 unless set
 * @param zone the zone tandem is authoritative for, lower case, without a trailing dot
 * @param ttl the TTL of every answer, whole seconds; 5s unless set
 * @param geo rules from client networks to the node nearest to them; the longest matching prefix wins
 * @param geoDefault the node nearest to clients that no rule matches, if any
 */
public record DnsConfig(HostPort listen, String zone, Duration ttl, List<GeoRule> geo, Optional<String> geoDefault) {
  /** Where the responder listens unless {@code listen:} says otherwise. */
  public static final HostPort DEFAULT_LISTEN = new HostPort("0.0.0.0", 53);
  public static final Duration DEFAULT_TTL = Duration.ofSeconds(5);
  static final Pattern ZONE = Pattern.compile("([a-z0-9_]([a-z0-9-]{0,61}[a-z0-9])?\\.)*[a-z0-9_]([a-z0-9-]{0,61}[a-z0-9])?");

  /**
   * One geo rule: clients from {@code network} are nearest to {@code node}.
   *
   * @param network the clients' network, e.g. 10.8.0.0/16
   * @param node a node name
   */
  public record GeoRule(Cidr network, String node) {
    public GeoRule {
      Objects.requireNonNull(network, "network");
      Objects.requireNonNull(node, "node");
    }
  }

  public DnsConfig {
    Objects.requireNonNull(listen, "listen");
    if (zone == null || zone.length() > 253 || !ZONE.matcher(zone).matches()) {
      throw new IllegalArgumentException("'" + zone + "' is not a DNS zone name");
    }
    Checks.positive(ttl, "ttl");
    geo = List.copyOf(geo);
    Objects.requireNonNull(geoDefault, "geoDefault");
  }
}
