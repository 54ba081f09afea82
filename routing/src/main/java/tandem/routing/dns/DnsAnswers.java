package tandem.routing.dns;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import org.xbill.DNS.AAAARecord;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Opcode;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.SOARecord;
import org.xbill.DNS.Section;
import org.xbill.DNS.TextParseException;
import org.xbill.DNS.Type;
import tandem.config.DnsConfig;

/**
 * The responder's answers, decided from one query, the client's address and the cluster as the
 * {@link DnsDirectory} has it; no I/O. For {@code <group>.<zone>}:
 *
 * <ul>
 *   <li>a group without nodes in mode {@code active}: A (or AAAA) of its primary;
 *   <li>a group with active nodes: the primary and every active node whose health passes, nearest
 *       to the client first (the longest {@code geo} prefix that holds the client's address names
 *       the nearest node, else {@code default}), the rest in name order;
 *   <li>a group no node holds now: NOERROR with no answer and the zone's SOA, whose minimum is the
 *       TTL, so resolvers ask again after that long (rather than SERVFAIL, which resolvers treat as
 *       a broken server and may cache for longer);
 *   <li>a name in the zone that is no group: NXDOMAIN; a name outside it: REFUSED.
 * </ul>
 *
 * The zone apex answers SOA. Every answer is authoritative and carries the configured TTL.
 */
public final class DnsAnswers {
  private final DnsConfig config;
  private final DnsDirectory directory;
  private final Name zone;
  private final long ttl;
  private final SOARecord soa;

  public DnsAnswers(DnsConfig config, DnsDirectory directory) {
    this.config = config;
    this.directory = directory;
    try {
      this.zone = Name.fromString(config.zone() + ".");
      this.ttl = config.ttl().toSeconds();
      this.soa = new SOARecord(zone, DClass.IN, ttl, zone, Name.fromString("hostmaster." + config.zone() + "."), 1,
          3600, 600, 86400, ttl);
    } catch (TextParseException e) {
      throw new IllegalArgumentException("zone " + config.zone() + ": " + e.getMessage(), e);
    }
  }

  /** The response to {@code query} from {@code client}. */
  public Message answer(Message query, InetAddress client) {
    Message response = new Message(query.getHeader().getID());
    response.getHeader().setFlag(Flags.QR);
    if (query.getHeader().getFlag(Flags.RD)) {
      response.getHeader().setFlag(Flags.RD);
    }
    Record question = query.getQuestion();
    if (question != null) {
      response.addRecord(question, Section.QUESTION);
    }
    if (query.getHeader().getOpcode() != Opcode.QUERY) {
      response.getHeader().setRcode(Rcode.NOTIMP);
      return response;
    }
    if (question == null || query.getHeader().getCount(Section.QUESTION) != 1) {
      response.getHeader().setRcode(Rcode.FORMERR);
      return response;
    }
    Name name = question.getName();
    if (!name.subdomain(zone) || question.getDClass() != DClass.IN) {
      // Not ours: a resolver must not take anything from us for it.
      response.getHeader().setRcode(Rcode.REFUSED);
      return response;
    }
    response.getHeader().setFlag(Flags.AA);
    if (name.equals(zone)) {
      apex(question.getType(), response);
      return response;
    }
    Optional<DnsDirectory.GroupView> group = name.labels() == zone.labels() + 1
        ? directory.group(name.getLabelString(0).toLowerCase(Locale.ROOT)) : Optional.empty();
    if (group.isEmpty()) {
      response.getHeader().setRcode(Rcode.NXDOMAIN);
      response.addRecord(soa, Section.AUTHORITY);
      return response;
    }
    int type = question.getType();
    for (InetAddress a : targets(group.get(), client)) {
      boolean v4 = a instanceof Inet4Address;
      if (v4 && (type == Type.A || type == Type.ANY)) {
        response.addRecord(new ARecord(name, DClass.IN, ttl, a), Section.ANSWER);
      } else if (a instanceof Inet6Address && (type == Type.AAAA || type == Type.ANY)) {
        response.addRecord(new AAAARecord(name, DClass.IN, ttl, a), Section.ANSWER);
      }
    }
    if (response.getHeader().getCount(Section.ANSWER) == 0) {
      response.addRecord(soa, Section.AUTHORITY);
    }
    return response;
  }

  private void apex(int type, Message response) {
    if (type == Type.SOA || type == Type.ANY) {
      response.addRecord(soa, Section.ANSWER);
    } else {
      response.addRecord(soa, Section.AUTHORITY);
    }
  }

  /** The addresses of the nodes that serve {@code g}, nearest to {@code client} first. */
  List<InetAddress> targets(DnsDirectory.GroupView g, InetAddress client) {
    if (g.primary() == null) {
      return List.of();
    }
    List<String> nodes = new ArrayList<>();
    nodes.add(g.primary());
    if (!g.actives().isEmpty()) {
      g.actives().stream().filter(n -> !n.equals(g.primary())).forEach(nodes::add);
      nodes.sort(Comparator.naturalOrder());
      nearest(client).filter(nodes::remove).ifPresent(n -> nodes.addFirst(n));
    }
    LinkedHashSet<InetAddress> out = new LinkedHashSet<>();
    nodes.forEach(n -> out.addAll(directory.addresses(n)));
    return List.copyOf(out);
  }

  /** The node nearest to {@code client} by the geo rules: the longest matching prefix, else the default. */
  Optional<String> nearest(InetAddress client) {
    return config.geo().stream().filter(r -> r.network().contains(client))
        .max(Comparator.comparingInt(r -> r.network().prefix())).map(DnsConfig.GeoRule::node)
        .or(config::geoDefault);
  }
}
