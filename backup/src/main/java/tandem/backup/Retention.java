package tandem.backup;

import java.time.Instant;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.time.temporal.IsoFields;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * Which snapshots a set of keep rules keeps, the way {@code restic forget} decides: snapshots are
 * taken newest first; each rule keeps the newest snapshot of each of its last n periods (hour,
 * day, ISO week, month, year in the given zone; "last" keeps the n newest); a snapshot is kept if
 * any rule keeps it. A count of -1 keeps every period. So {@code keep: { daily: 7 }} keeps what
 * {@code restic forget --keep-daily 7} keeps.
 */
public record Retention(int last, int hourly, int daily, int weekly, int monthly, int yearly) {
  /** No rule at all: forget refuses this rather than delete everything. */
  public boolean empty() {
    return last == 0 && hourly == 0 && daily == 0 && weekly == 0 && monthly == 0 && yearly == 0;
  }

  /** A decision for one snapshot: kept (with the rules that keep it) or not. */
  public record Decision(String id, Instant time, boolean keep, List<String> reasons) {}

  /** Decides for {@code snapshots} (id -> time), newest first in the result. */
  public List<Decision> apply(Map<String, Instant> snapshots, ZoneId zone) {
    List<Map.Entry<String, Instant>> newest = new ArrayList<>(snapshots.entrySet());
    newest.sort(Map.Entry.<String, Instant>comparingByValue(Comparator.reverseOrder()).thenComparing(Map.Entry.comparingByKey()));
    Map<String, List<String>> reasons = new LinkedHashMap<>();
    newest.forEach(e -> reasons.put(e.getKey(), new ArrayList<>()));
    rule(newest, reasons, zone, last, "last", t -> null);
    rule(newest, reasons, zone, hourly, "hourly", t -> t.getYear() * 1_000_000L + t.getMonthValue() * 10_000L + t.getDayOfMonth() * 100L + t.getHour());
    rule(newest, reasons, zone, daily, "daily", t -> t.getYear() * 10_000L + t.getMonthValue() * 100L + t.getDayOfMonth());
    rule(newest, reasons, zone, weekly, "weekly", t -> t.get(IsoFields.WEEK_BASED_YEAR) * 100L + t.get(IsoFields.WEEK_OF_WEEK_BASED_YEAR));
    rule(newest, reasons, zone, monthly, "monthly", t -> t.getYear() * 100L + t.getMonthValue());
    rule(newest, reasons, zone, yearly, "yearly", t -> (long) t.getYear());
    List<Decision> out = new ArrayList<>();
    for (Map.Entry<String, Instant> e : newest) {
      List<String> r = reasons.get(e.getKey());
      out.add(new Decision(e.getKey(), e.getValue(), !r.isEmpty(), List.copyOf(r)));
    }
    return out;
  }

  private static void rule(List<Map.Entry<String, Instant>> newest, Map<String, List<String>> reasons, ZoneId zone, int count,
      String name, Function<ZonedDateTime, Long> bucket) {
    int left = count;
    Long lastBucket = null;
    for (Map.Entry<String, Instant> e : newest) {
      if (left == 0) {
        return;
      }
      Long b = bucket.apply(e.getValue().atZone(zone));
      if (b == null || !b.equals(lastBucket)) {
        reasons.get(e.getKey()).add(name);
        lastBucket = b;
        if (left > 0) {
          left--;
        }
      }
    }
  }
}
