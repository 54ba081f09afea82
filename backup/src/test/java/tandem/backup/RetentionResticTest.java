package tandem.backup;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The keep rules against the real restic (dev/test.sh installs it): a generated history of two
 * years of snapshots is put into a restic repository, and for several policies the snapshots
 * {@code restic forget --dry-run} keeps must be exactly those {@link Retention} keeps.
 */
class RetentionResticTest {
  @TempDir static Path dir;
  static final Map<String, Instant> history = new LinkedHashMap<>();
  static Path repo;

  static List<String> restic(String... args) {
    List<String> cmd = new ArrayList<>(List.of("restic", "-r", repo.toString(), "--no-cache", "-q"));
    cmd.addAll(List.of(args));
    return cmd;
  }

  static String run(List<String> cmd) throws IOException, InterruptedException {
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(false);
    pb.environment().put("RESTIC_PASSWORD", "test");
    pb.environment().put("TZ", "UTC");
    Process p = pb.start();
    String out = new String(p.getInputStream().readAllBytes());
    String err = new String(p.getErrorStream().readAllBytes());
    if (p.waitFor() != 0) {
      throw new IOException(cmd + " failed: " + err);
    }
    return out;
  }

  @BeforeAll
  static void twoYearsOfSnapshots() throws Exception {
    boolean have = new ProcessBuilder("sh", "-c", "command -v restic").start().waitFor() == 0;
    Assumptions.assumeTrue(have, "skipped: restic is not installed (dev/test.sh installs it)");
    repo = dir.resolve("restic");
    Path data = Files.writeString(dir.resolve("f"), "x");
    run(restic("init"));
    // Irregular on purpose: several a day, gaps of weeks, a year boundary, ISO week 1 starting in December.
    Random rnd = new Random(42);
    LocalDateTime t = LocalDateTime.of(2024, 1, 1, 2, 0);
    Set<LocalDateTime> times = new TreeSet<>();
    while (t.isBefore(LocalDateTime.of(2025, 12, 31, 0, 0))) {
      times.add(t);
      int gap = rnd.nextInt(10);
      t = gap < 3 ? t.plusMinutes(20 + rnd.nextInt(300)) : gap < 8 ? t.plusDays(1 + rnd.nextInt(9)).plusHours(rnd.nextInt(5))
          : t.plusDays(15 + rnd.nextInt(30));
    }
    times.add(LocalDateTime.of(2024, 12, 30, 12, 0)); // Monday of ISO week 1 of 2025
    times.add(LocalDateTime.of(2024, 12, 29, 12, 0)); // Sunday of ISO week 52 of 2024
    DateTimeFormatter f = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss");
    try (ExecutorService pool = Executors.newFixedThreadPool(4)) {
      List<Future<String>> runs = new ArrayList<>();
      for (LocalDateTime x : times) {
        runs.add(pool.submit(() -> run(restic("backup", "--host", "h", "--time", x.format(f), data.toString()))));
      }
      for (Future<String> r : runs) {
        r.get();
      }
    }
    for (LocalDateTime x : times) {
      history.put(x.toString(), x.toInstant(ZoneOffset.UTC));
    }
  }

  static Set<Instant> resticKeeps(String... keep) throws Exception {
    List<String> cmd = restic("forget", "--dry-run", "--json");
    cmd.addAll(List.of(keep));
    JsonNode groups = Repository.JSON.readTree(run(cmd));
    Set<Instant> kept = new TreeSet<>();
    for (JsonNode g : groups) {
      for (JsonNode s : g.path("keep")) {
        kept.add(Instant.parse(s.get("time").asText()));
      }
    }
    return kept;
  }

  static Set<Instant> ours(Retention r) {
    Set<Instant> kept = new TreeSet<>();
    r.apply(history, ZoneOffset.UTC).stream().filter(Retention.Decision::keep).forEach(d -> kept.add(d.time()));
    return kept;
  }

  @Test
  void keepDaily() throws Exception {
    assertThat(history).hasSizeGreaterThan(80);
    assertThat(ours(new Retention(0, 0, 7, 0, 0, 0))).isEqualTo(resticKeeps("--keep-daily", "7"));
  }

  @Test
  void keepWeeklyAndMonthly_acrossAYearBoundary() throws Exception {
    assertThat(ours(new Retention(0, 0, 0, 60, 14, 0))).isEqualTo(resticKeeps("--keep-weekly", "60", "--keep-monthly", "14"));
  }

  @Test
  void theIssuesPolicy_lastHourlyDailyWeeklyMonthly() throws Exception {
    assertThat(ours(new Retention(3, 24, 7, 4, 12, 0))).isEqualTo(resticKeeps("--keep-last", "3", "--keep-hourly", "24",
        "--keep-daily", "7", "--keep-weekly", "4", "--keep-monthly", "12"));
  }

  @Test
  void keepYearlyAndLast() throws Exception {
    assertThat(ours(new Retention(5, 0, 0, 0, 0, 3))).isEqualTo(resticKeeps("--keep-last", "5", "--keep-yearly", "3"));
  }
}
