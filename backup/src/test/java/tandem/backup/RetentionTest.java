package tandem.backup;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.time.ZoneOffset;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** restic forget's keep rules, on hand-made histories whose answers were worked out by hand. */
class RetentionTest {
  private static Map<String, Instant> history(String... times) {
    Map<String, Instant> m = new LinkedHashMap<>();
    for (String t : times) {
      m.put(t, Instant.parse(t));
    }
    return m;
  }

  private static List<String> kept(Retention r, Map<String, Instant> h) {
    return r.apply(h, ZoneOffset.UTC).stream().filter(Retention.Decision::keep).map(Retention.Decision::id).toList();
  }

  @Test
  void keepDaily_keepsTheNewestOfEachOfTheLastNDays() {
    Map<String, Instant> h = history("2026-11-01T03:00:00Z", "2026-11-01T15:00:00Z", "2026-11-02T03:00:00Z",
        "2026-11-04T03:00:00Z", "2026-11-04T09:00:00Z");

    assertThat(kept(new Retention(0, 0, 2, 0, 0, 0), h)).containsExactly("2026-11-04T09:00:00Z", "2026-11-02T03:00:00Z");
  }

  @Test
  void rulesAddUp_aSnapshotKeptByAnyRuleStays() {
    Map<String, Instant> h = history("2026-09-30T23:00:00Z", "2026-10-15T03:00:00Z", "2026-10-31T03:00:00Z",
        "2026-11-01T03:00:00Z", "2026-11-01T04:00:00Z");

    List<String> k = kept(new Retention(1, 0, 0, 0, 3, 0), h);

    // last 1: 11-01 04:00; monthly 3: November's newest (the same), October's newest (10-31), September's.
    assertThat(k).containsExactly("2026-11-01T04:00:00Z", "2026-10-31T03:00:00Z", "2026-09-30T23:00:00Z");
  }

  @Test
  void weeksAreIsoWeeks_andMinusOneKeepsEveryPeriod() {
    // 2026-11-01 is a Sunday (ISO week 44); 2026-11-02 a Monday (week 45).
    Map<String, Instant> h = history("2026-11-01T10:00:00Z", "2026-11-02T10:00:00Z", "2026-11-03T10:00:00Z",
        "2026-10-20T10:00:00Z");

    assertThat(kept(new Retention(0, 0, 0, 1, 0, 0), h)).containsExactly("2026-11-03T10:00:00Z");
    assertThat(kept(new Retention(0, 0, 0, -1, 0, 0), h)).containsExactly("2026-11-03T10:00:00Z", "2026-11-01T10:00:00Z",
        "2026-10-20T10:00:00Z");
  }

  @Test
  void reasonsNameTheRules() {
    Map<String, Instant> h = history("2026-11-01T03:00:00Z");
    assertThat(new Retention(1, 0, 1, 0, 0, 0).apply(h, ZoneOffset.UTC).getFirst().reasons()).containsExactly("last", "daily");
  }
}
