package tandem.health;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;
import static tandem.health.TestChecks.command;
import static tandem.health.TestChecks.withFix;
import static tandem.health.TestChecks.withTimeout;
import static tandem.health.TestChecks.withWeight;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tandem.config.CheckConfig;
import tandem.core.Event;
import tandem.core.Level;
import tandem.core.Ticker;

class HealthMonitorTest {
  private static final Duration WAIT = Duration.ofSeconds(20);

  @TempDir Path dir;
  private final List<Event> events = new CopyOnWriteArrayList<>();
  private final List<HealthReport> changes = new CopyOnWriteArrayList<>();
  private final List<HealthMonitor> monitors = new ArrayList<>();
  private Ticker ticker = Ticker.system();
  private boolean stallsWanted;

  @AfterEach
  void closeMonitors() {
    monitors.forEach(HealthMonitor::close);
  }

  @Test
  void risePassesInARow_turnPassingWithoutAnEvent() {
    FakeService web = service("web");
    web.up();
    List<Integer> runsAtChange = new CopyOnWriteArrayList<>();
    HealthMonitor monitor = monitor(r -> runsAtChange.add(web.runs()), command("web", web.checkCommand(), 3, 2));

    monitor.start();

    await().atMost(WAIT).until(() -> !runsAtChange.isEmpty());
    assertThat(changes.getFirst().checks().getFirst().state()).isEqualTo(CheckState.PASSING);
    assertThat(runsAtChange.getFirst()).isGreaterThanOrEqualTo(3);
    assertThat(events).isEmpty();
  }

  @Test
  void failingTwiceWithFallThree_staysPassing() {
    FakeService web = service("web");
    web.up();
    HealthMonitor monitor = monitor(command("web", web.checkCommand(), 1, 3));
    monitor.start();
    awaitState(monitor, "web", CheckState.PASSING);

    web.failNext(2);
    await().atMost(WAIT).until(web::tokensSpent);
    int runsAfterFailures = web.runs();
    await().atMost(WAIT).until(() -> web.runs() >= runsAfterFailures + 2);

    assertThat(status(monitor, "web").state()).isEqualTo(CheckState.PASSING);
    assertThat(changes).hasSize(1);
    assertThat(events).isEmpty();
  }

  @Test
  void failingThreeTimesWithFallThree_turnsFailingWithWarning() {
    FakeService web = service("web");
    web.up();
    HealthMonitor monitor = monitor(command("web", web.checkCommand(), 1, 3));
    monitor.start();
    awaitState(monitor, "web", CheckState.PASSING);

    web.down();
    awaitState(monitor, "web", CheckState.FAILING);
    awaitEvents(1);

    assertThat(events).singleElement().satisfies(e -> {
      assertThat(e.kind()).isEqualTo("check-failed");
      assertThat(e.level()).isEqualTo(Level.WARNING);
      assertThat(e.node()).isEqualTo("db-1");
      assertThat(e.group()).isEqualTo("pg");
      assertThat(e.message()).startsWith("check command:web failed 3 times in a row (exit 1)");
    });
    assertThat(status(monitor, "web").detail()).isEqualTo("exit 1");
  }

  @Test
  void criticalCheckFailingFromTheStart_turnsFailingWithCriticalEvent() {
    FakeService db = service("db");
    HealthMonitor monitor = monitor(withWeight(command("db", db.checkCommand(), 2, 2), 0, true));
    monitor.start();

    awaitState(monitor, "db", CheckState.FAILING);
    awaitEvents(1);
    await().atMost(WAIT).until(() -> !changes.isEmpty());

    assertThat(changes.getFirst().checks().getFirst().state()).isEqualTo(CheckState.FAILING);
    assertThat(monitor.report().criticalFailing()).isTrue();
    assertThat(monitor.report().passing()).isFalse();
    assertThat(events).singleElement().satisfies(e -> {
      assertThat(e.level()).isEqualTo(Level.CRITICAL);
      assertThat(e.message()).contains("critical", "group pg");
    });
  }

  @Test
  void failingCheckPassingRiseTimes_recoversWithInfoEvent() {
    FakeService web = service("web");
    HealthMonitor monitor = monitor(command("web", web.checkCommand(), 2, 2));
    monitor.start();
    awaitState(monitor, "web", CheckState.FAILING);

    web.up();
    awaitState(monitor, "web", CheckState.PASSING);
    awaitEvents(2);

    assertThat(events).extracting(Event::kind).containsExactly("check-failed", "check-recovered");
    assertThat(events.getLast().level()).isEqualTo(Level.INFO);
    assertThat(events.getLast().message()).isEqualTo("check command:web recovered: passed 2 times in a row (exit 0)");
  }

  @Test
  void fixThatRestoresTheService_recoversWithoutFailing() {
    FakeService web = service("web");
    web.up();
    HealthMonitor monitor = monitor(withFix(command("web", web.checkCommand(), 2, 3), web.fixCommand(), 3));
    monitor.start();
    awaitState(monitor, "web", CheckState.PASSING);

    web.down();
    await().atMost(WAIT).until(() -> !events.isEmpty());
    int runsAfterFix = web.runs();
    await().atMost(WAIT).until(() -> web.runs() >= runsAfterFix + 3);

    assertThat(events).singleElement().satisfies(e -> {
      assertThat(e.kind()).isEqualTo("check-fix");
      assertThat(e.level()).isEqualTo(Level.WARNING);
      assertThat(e.message())
          .isEqualTo("check command:web failed 3 times (exit 1); running fix '" + web.fixCommand()
              + "' (attempt 1 of 3): exit 0");
    });
    assertThat(web.fixedBy()).isEqualTo("web pg db-1");
    assertThat(changes).extracting(r -> r.checks().getFirst().state()).containsOnly(CheckState.PASSING);
    await().atMost(WAIT).until(() -> status(monitor, "web").fixAttemptsUsed() == 0);
  }

  @Test
  void fixThatDoesNotHelp_turnsFailingOnceAttemptsAreUsedUp() {
    FakeService web = service("web");
    HealthMonitor monitor = monitor(withFix(command("web", web.checkCommand(), 1, 2), "true", 2));
    monitor.start();

    awaitState(monitor, "web", CheckState.FAILING);
    awaitEvents(3);

    assertThat(events).extracting(Event::kind).containsExactly("check-fix", "check-fix", "check-failed");
    assertThat(events.get(0).message()).contains("(attempt 1 of 2): exit 0");
    assertThat(events.get(1).message()).contains("(attempt 2 of 2): exit 0");
    assertThat(events.get(2).message())
        .isEqualTo("check command:web failed 2 times in a row (exit 1); 2 fix attempts with 'true' did not help");
    assertThat(status(monitor, "web").fixAttemptsUsed()).isEqualTo(2);
    assertThat(web.runs()).isGreaterThanOrEqualTo(6);
    assertThat(monitor.report().summary()).isEqualTo("command:web failing after 2 fixes (exit 1)");
  }

  @Test
  void commandOutlivingItsTimeout_countsAsFailure() {
    CheckConfig slow = withTimeout(command("slow", "sleep 30", 1, 1), Duration.ofMillis(200));
    HealthMonitor monitor = monitor(slow);
    monitor.start();

    awaitState(monitor, "slow", CheckState.FAILING);

    assertThat(status(monitor, "slow").detail()).contains("timeout");
  }

  @Test
  void weightsAndCriticality_followTheDebouncedStates() {
    FakeService up = service("up");
    up.up();
    FakeService down = service("down");
    HealthMonitor monitor = monitor(
        withWeight(command("bonus", up.checkCommand(), 1, 1), 10, false),
        withWeight(command("penalty", down.checkCommand(), 1, 1), -20, false),
        withWeight(command("vital", up.checkCommand(), 1, 1), 0, true));
    monitor.start();

    awaitState(monitor, "bonus", CheckState.PASSING);
    awaitState(monitor, "penalty", CheckState.FAILING);
    awaitState(monitor, "vital", CheckState.PASSING);

    HealthReport report = monitor.report();
    assertThat(report.weightAdjustment()).isEqualTo(10 - 20);
    assertThat(report.criticalFailing()).isFalse();
    assertThat(report.passing()).isTrue();
    assertThat(report.group()).isEqualTo("pg");
  }

  @Test
  void stop_putsEveryCheckBackToUnknownAndNotifiesOnce() {
    FakeService web = service("web");
    web.up();
    HealthMonitor monitor = monitor(command("web", web.checkCommand(), 1, 1), command("db", "exit 1", 1, 1));
    monitor.start();
    awaitState(monitor, "web", CheckState.PASSING);
    awaitState(monitor, "db", CheckState.FAILING);

    monitor.stop();

    assertThat(monitor.report().checks()).extracting(CheckStatus::state).containsOnly(CheckState.UNKNOWN);
    await().atMost(WAIT).until(() -> !changes.isEmpty() && allUnknown(changes.getLast()));
    await().during(Duration.ofMillis(300)).atMost(WAIT).until(() -> allUnknown(monitor.report()));
    assertThat(changes.stream().filter(HealthMonitorTest::allUnknown)).hasSize(1);
  }

  @Test
  void checkSlowerThanItsInterval_isNeverRunTwiceAtOnce() {
    Path lock = dir.resolve("lock");
    Path runs = dir.resolve("runs");
    String script = "mkdir " + lock + " || { touch " + dir.resolve("overlap") + "; exit 1; }; echo x >> " + runs
        + "; sleep 0.2; rmdir " + lock;
    HealthMonitor monitor = monitor(command("slow", script, 1, 1));
    monitor.start();

    await().atMost(WAIT).until(() -> Files.exists(runs) && Files.readAllLines(runs).size() >= 4);

    assertThat(dir.resolve("overlap")).doesNotExist();
    assertThat(status(monitor, "slow").state()).isEqualTo(CheckState.PASSING);
  }

  @Test
  void checkThatThrows_countsAsFailureNamingTheException() {
    HealthCheck broken = new HealthCheck() {
      @Override
      public String describe() {
        return "broken probe";
      }

      @Override
      public CheckOutcome run(Duration timeout) {
        throw new IllegalStateException("probe bug");
      }
    };
    HealthMonitor monitor = new HealthMonitor("db-1", "pg", List.of(command("web", "true", 1, 1)), c -> broken,
        ticker, InstantSource.system(), this::collect, changes::add);
    monitors.add(monitor);
    monitor.start();

    awaitState(monitor, "web", CheckState.FAILING);

    assertThat(status(monitor, "web").detail()).isEqualTo("broken probe threw java.lang.IllegalStateException: probe bug");
  }

  @Test
  void startTwice_failsNamingTheGroup() {
    HealthMonitor monitor = monitor(command("web", "true", 1, 1));
    monitor.start();

    assertThatThrownBy(monitor::start)
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("health monitor of group pg is already running");
  }

  @Test
  void callbackThatThrows_isReportedAndTheMonitorGoesOn() {
    FakeService web = service("web");
    HealthMonitor monitor = monitor(r -> {
      throw new IllegalStateException("listener bug");
    }, command("web", web.checkCommand(), 1, 1));
    monitor.start();
    awaitState(monitor, "web", CheckState.FAILING);

    web.up();

    awaitState(monitor, "web", CheckState.PASSING);
    await().atMost(WAIT).until(() -> events.stream().filter(e -> e.kind().equals("health-callback-failed")).count() == 2);
  }

  @Test
  void tickerJumpingFarPastTheInterval_reportsAStall() {
    AtomicLong now = new AtomicLong();
    ticker = now::get;
    stallsWanted = true;
    HealthMonitor monitor = monitor(command("web", "true", 1, 1));
    monitor.start();
    awaitState(monitor, "web", CheckState.PASSING);

    now.addAndGet(Duration.ofSeconds(10).toNanos());

    awaitEvents(1);
    assertThat(events).singleElement().satisfies(e -> {
      assertThat(e.kind()).isEqualTo("health-stall");
      assertThat(e.message()).startsWith("check command:web ran 10s after its previous run, though its interval is 50ms");
    });
  }

  @Test
  void close_waitsForTheRunInFlight() {
    Path started = dir.resolve("started");
    Path done = dir.resolve("done");
    HealthMonitor monitor = monitor(command("slow", "touch " + started + "; sleep 0.3; touch " + done, 1, 1));
    monitor.start();
    await().atMost(WAIT).until(() -> Files.exists(started));

    monitor.close();

    assertThat(done).exists();
  }

  private FakeService service(String name) {
    return new FakeService(dir.resolve(name));
  }

  private HealthMonitor monitor(CheckConfig... checks) {
    return monitor(r -> {}, checks);
  }

  private HealthMonitor monitor(Consumer<HealthReport> alsoOnChange, CheckConfig... checks) {
    HealthMonitor monitor = new HealthMonitor("db-1", "pg", List.of(checks), ticker, this::collect, r -> {
      changes.add(r);
      alsoOnChange.accept(r);
    });
    monitors.add(monitor);
    return monitor;
  }

  private void collect(Event event) {
    // a loaded build machine may starve the scheduler; only the stall test counts stall events
    if (!event.kind().equals("health-stall") || stallsWanted) {
      events.add(event);
    }
  }

  private void awaitEvents(int count) {
    await().atMost(WAIT).until(() -> events.size() >= count);
  }

  private static void awaitState(HealthMonitor monitor, String check, CheckState state) {
    await().atMost(WAIT).until(() -> status(monitor, check).state() == state);
  }

  private static CheckStatus status(HealthMonitor monitor, String check) {
    return monitor.report().checks().stream().filter(c -> c.name().equals(check)).findFirst().orElseThrow();
  }

  private static boolean allUnknown(HealthReport report) {
    return report.checks().stream().allMatch(c -> c.state() == CheckState.UNKNOWN);
  }
}
