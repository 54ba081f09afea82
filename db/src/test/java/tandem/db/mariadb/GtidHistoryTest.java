package tandem.db.mariadb;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Which GTIDs of a returning node the new primary lacks (errant transactions), without servers. */
class GtidHistoryTest {
  @Test
  void oldPrimarysLastCommit_isErrant_whenTheNewPrimaryWentOnWithItsOwnServerId() {
    // n1 (server 1) wrote 1..101; n2 (server 2) had 1..100 from it, was promoted and wrote 101..103.
    GtidHistory n1 = new GtidHistory(seq(1, 1, 101));
    List<Gtid> n2 = Gtid.list("0-1-100,0-2-103");
    assertThat(n1.missingOn(n2)).containsExactly(Gtid.parse("0-1-101"));
    assertThat(n1.before(Gtid.parse("0-1-101"))).isEqualTo(Gtid.parse("0-1-100"));
  }

  @Test
  void aReplicaBehindTheNewPrimary_hasNothingErrant() {
    GtidHistory n3 = new GtidHistory(seq(1, 1, 90));
    assertThat(n3.missingOn(Gtid.list("0-1-100,0-2-103"))).isEmpty();
  }

  @Test
  void aNewPrimaryClonedWithoutBinlogs_isKnownByItsSlavePosition() {
    // n2 was cloned at 0-1-5 (so its binlog lacks 1..5) and promoted before it received anything more.
    GtidHistory n1 = new GtidHistory(seq(1, 1, 7));
    List<Gtid> n2 = Gtid.list("0-2-9,0-1-5");
    assertThat(n1.missingOn(n2)).containsExactly(Gtid.parse("0-1-6"), Gtid.parse("0-1-7"));
  }

  @Test
  void transactionsOfAnEarlierPrimary_areCoveredByALaterCommonOne() {
    // History: server 7 wrote 1..3, then server 1 wrote 4..6. The new primary's state names only server 1.
    List<Gtid> local = new java.util.ArrayList<>(seq(7, 1, 3));
    local.addAll(seq(1, 4, 6));
    assertThat(new GtidHistory(local).missingOn(Gtid.list("0-1-6,0-2-8"))).isEmpty();
  }

  @Test
  void positionIsTheSequenceNumberPerDomain_andBadTextIsRefused() {
    assertThat(Gtid.position(Gtid.list("0-1-42"))).isEqualTo(42);
    assertThat(Gtid.position(Gtid.list("0-1-42,0-2-40"))).isEqualTo(42);
    assertThat(Gtid.position(Gtid.list(""))).isZero();
    assertThatThrownBy(() -> Gtid.parse("0-1")).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not a GTID");
  }

  private static List<Gtid> seq(long server, long from, long to) {
    List<Gtid> out = new java.util.ArrayList<>();
    for (long n = from; n <= to; n++) {
      out.add(new Gtid(0, server, n));
    }
    return out;
  }
}
