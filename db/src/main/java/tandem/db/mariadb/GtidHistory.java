package tandem.db.mariadb;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * What a server's data holds, by GTID, and which of it another server lacks. The other server is
 * known by its @@gtid_binlog_state (the last sequence number each server wrote in each domain) and
 * its @@gtid_slave_pos (where it was cloned or last replicated to, which its binlog may not show).
 *
 * <p>A local transaction (d, s, n) is on the other server when that server has a transaction of s
 * in d with a sequence number of n or more (a server's transactions reach others in order), or
 * when it has any transaction (d, s2, m), m &gt;= n, that is itself in the local history (the two
 * histories agree up to m). What is left are errant transactions: written here (or received from
 * an old primary) and never on the other server.
 */
final class GtidHistory {
  private final List<Gtid> local;
  private final Set<Gtid> localSet;

  /** @param local every GTID of this server's binlogs, in order, and its gtid_slave_pos */
  GtidHistory(List<Gtid> local) {
    this.local = List.copyOf(local);
    this.localSet = new HashSet<>(local);
  }

  /** The local transactions {@code other} (its binlog state and slave position) does not have, in order. */
  List<Gtid> missingOn(List<Gtid> other) {
    List<Gtid> out = new ArrayList<>();
    for (Gtid g : local) {
      if (!has(other, g) && !out.contains(g)) {
        out.add(g);
      }
    }
    return out;
  }

  private boolean has(List<Gtid> other, Gtid g) {
    for (Gtid o : other) {
      if (o.domain() != g.domain() || o.seq() < g.seq()) {
        continue;
      }
      if (o.server() == g.server() || localSet.contains(o)) {
        return true;
      }
    }
    return false;
  }

  /**
   * The last local GTID of {@code domain} before {@code first} that the other server has: where an
   * extract of the errant transactions starts (exclusive); null when they start at the beginning.
   */
  Gtid before(Gtid first) {
    Gtid prev = null;
    for (Gtid g : local) {
      if (g.equals(first)) {
        return prev;
      }
      if (g.domain() == first.domain()) {
        prev = g;
      }
    }
    return prev;
  }
}
