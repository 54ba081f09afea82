package tandem.db.mariadb;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A MariaDB global transaction id, domain-server-sequence (e.g. 0-11-42). Within a domain the
 * sequence numbers grow along one history: a replica that applied 0-11-42 has applied every
 * transaction of domain 0 before it. The server id says which server wrote it, which is how two
 * histories that went apart after a failover are told from each other.
 */
record Gtid(long domain, long server, long seq) {
  private static final Pattern ONE = Pattern.compile("(\\d+)-(\\d+)-(\\d+)");

  static Gtid parse(String text) {
    Matcher m = ONE.matcher(text.trim());
    if (!m.matches()) {
      throw new IllegalArgumentException("'" + text + "' is not a GTID (domain-server-sequence)");
    }
    return new Gtid(Long.parseLong(m.group(1)), Long.parseLong(m.group(2)), Long.parseLong(m.group(3)));
  }

  /** The GTIDs of a list such as @@gtid_binlog_pos ("0-11-42,1-12-7"); "" or null is empty. */
  static List<Gtid> list(String text) {
    List<Gtid> out = new ArrayList<>();
    if (text == null) {
      return out;
    }
    for (String part : text.split(",")) {
      if (!part.isBlank()) {
        out.add(parse(part));
      }
    }
    return out;
  }

  /** The last GTID of each domain: the higher sequence wins. */
  static Map<Long, Gtid> lastPerDomain(Collection<Gtid> gtids) {
    Map<Long, Gtid> out = new LinkedHashMap<>();
    for (Gtid g : gtids) {
      out.merge(g.domain(), g, (a, b) -> b.seq() > a.seq() ? b : a);
    }
    return out;
  }

  /**
   * A position as one number for comparing replicas: the sum of the last sequence number of each
   * domain (tandem runs one domain, so it is that domain's sequence number).
   */
  static long position(Collection<Gtid> gtids) {
    return lastPerDomain(gtids).values().stream().mapToLong(Gtid::seq).sum();
  }

  /** A list such as @@gtid_slave_pos takes. */
  static String join(Collection<Gtid> gtids) {
    return String.join(",", gtids.stream().map(Gtid::toString).toList());
  }

  @Override
  public String toString() {
    return domain + "-" + server + "-" + seq;
  }
}
