package tandem.failover.fencing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tandem.resource.FenceStep;

/**
 * The fencing watchdog as a real separate JVM, driven through {@link Watchdog} the way the agent drives it. Its stop
 * steps append to a file, and the callback records when each FENCED line arrived.
 *
 * <p>No test sleeps to let the watchdog catch up. To show that something did <em>not</em> fire, a test arms a
 * step-less probe group due after the deadline in question and waits for the probe's FENCED line, then sends one more
 * probe due at once ({@link #barrier()}): the watchdog handles lines and fires deadlines in order, so by then it has
 * seen the deadline pass and reported everything it fired.
 */
class WatchdogTest {
  /** Scales every timing for slow machines: -Dtiming-multiple=3 (Curator's Timing). */
  static final long MULTIPLE = Long.getLong("timing-multiple", 1);
  static final Duration PATIENCE = Duration.ofSeconds(10 * MULTIPLE);
  /**
   * How far ahead a deadline is set when a test disarms or re-arms it before it passes. Generous, so that a pause of
   * the test JVM between two writes on a loaded machine cannot let the deadline pass first (a 300 ms margin once
   * did, see the stalled-watchdog test for the watchdog's part in that).
   */
  static final long MARGIN_MILLIS = 1000;

  @TempDir
  Path dir;
  Path stopped;
  Watchdog watchdog;
  final List<String> fenced = new CopyOnWriteArrayList<>();
  final Map<String, Long> fencedAtNanos = new ConcurrentHashMap<>();
  final AtomicInteger probes = new AtomicInteger();

  static long ms(long millis) {
    return TimeUnit.MILLISECONDS.toNanos(millis * MULTIPLE);
  }

  @BeforeEach
  void startWatchdog() throws IOException {
    stopped = dir.resolve("stopped");
    watchdog = Watchdog.start(dir.resolve("logs/watchdog.log"), (group, summary) -> {
      fencedAtNanos.putIfAbsent(group, System.nanoTime());
      fenced.add(group + "\t" + summary);
    });
    // A JVM takes longer to start than a lease deadline: wait until it answers before arming anything.
    barrier();
    // setsid execs java under the same pid, so the pid killed at the end is the watchdog JVM itself.
    assertThat(ProcessHandle.of(watchdog.pid()).flatMap(h -> h.info().command()))
        .hasValueSatisfying(c -> assertThat(c).endsWith("/java"));
    fenced.clear();
    fencedAtNanos.clear();
  }

  @AfterEach
  void killWatchdog() {
    watchdog.close();
    long pid = watchdog.pid();
    ProcessHandle.of(pid).ifPresent(h -> {
      h.descendants().forEach(ProcessHandle::destroyForcibly);
      h.destroyForcibly();
    });
    await().atMost(PATIENCE).until(() -> !watchdog.alive());
  }

  FenceStep step(String line) {
    return new FenceStep("echo \"" + line + " $TANDEM_GROUP\" >> '" + stopped + "'", Map.of("TANDEM_GROUP", "web"),
        5_000);
  }

  List<String> stoppedLines() throws IOException {
    return Files.exists(stopped) ? Files.readAllLines(stopped) : List.of();
  }

  List<String> fencedGroups() {
    return fenced.stream().map(f -> f.substring(0, f.indexOf('\t'))).filter(g -> !g.startsWith("probe-")).toList();
  }

  /** Arms a probe group with an empty plan due at {@code deadline} and waits until the watchdog reports it fenced. */
  void probeAt(long deadline) throws IOException {
    String probe = "probe-" + probes.incrementAndGet();
    watchdog.plan(probe, List.of()); // a group with no plan is armed-but-never-started: the watchdog stays silent
    watchdog.arm(probe, deadline);
    await().atMost(PATIENCE).pollInterval(Duration.ofMillis(5)).until(() -> fencedAtNanos.containsKey(probe));
  }

  /** Returns once the watchdog has handled every line sent so far and reported everything it fired before. */
  void barrier() throws IOException {
    probeAt(System.nanoTime());
  }

  /** Returns once the watchdog has seen {@code deadline} pass and reported everything it fired up to then. */
  void awaitWatchdogPast(long deadline) throws IOException {
    probeAt(deadline + ms(50));
    barrier();
  }

  @Test
  void deadlinePassesWithoutReArm_runsTheStopStepsInOrderAndReportsFenced() throws Exception {
    watchdog.plan("web", List.of(step("stop-b"), step("stop-a")));
    long deadline = System.nanoTime() + ms(300);

    watchdog.arm("web", deadline);

    await().atMost(PATIENCE).until(() -> fencedAtNanos.containsKey("web"));
    assertThat(stoppedLines()).containsExactly("stop-b web", "stop-a web");
    assertThat(fencedAtNanos.get("web")).as("fired no earlier than the deadline").isGreaterThanOrEqualTo(deadline);
    assertThat(fenced).singleElement().asString().startsWith("web\t'echo ").contains("exit 0");
    assertThat(watchdog.alive()).as("keeps watching the other groups").isTrue();
  }

  @Test
  void failingStopStep_doesNotKeepTheNextStepsFromRunning() throws Exception {
    watchdog.plan("web", List.of(new FenceStep("echo cannot stop >&2; exit 4", Map.of(), 5_000), step("stop-a")));

    watchdog.arm("web", System.nanoTime() + ms(100));

    await().atMost(PATIENCE).until(() -> fencedAtNanos.containsKey("web"));
    assertThat(stoppedLines()).containsExactly("stop-a web");
    assertThat(fenced).singleElement().asString().contains("exit 4: cannot stop").contains("exit 0");
  }

  @Test
  void reArmedBeforeEachDeadline_neverFires_thenFiresOnceTheReArmsStop() throws Exception {
    watchdog.plan("web", List.of(step("stop")));
    long lastDeadline = 0;
    long end = System.nanoTime() + ms(1000);

    // The agent's renewals: every 100 ms, each pushing the deadline 500 ms ahead. The sleep paces the renewals;
    // it does not wait for the watchdog.
    while (System.nanoTime() - end < 0) {
      lastDeadline = System.nanoTime() + ms(500);
      watchdog.arm("web", lastDeadline);
      Thread.sleep(100 * MULTIPLE);
    }

    await().atMost(PATIENCE).until(() -> fencedAtNanos.containsKey("web"));
    assertThat(fencedAtNanos.get("web")).as("fired only after the last deadline").isGreaterThanOrEqualTo(lastDeadline);
    barrier();
    assertThat(fencedGroups()).containsExactly("web");
    assertThat(stoppedLines()).containsExactly("stop web");
  }

  @Test
  void disarmedBeforeTheDeadline_neverFires() throws Exception {
    watchdog.plan("web", List.of(step("stop")));
    long deadline = System.nanoTime() + ms(MARGIN_MILLIS);
    watchdog.arm("web", deadline);

    watchdog.disarm("web");

    assertThat(System.nanoTime()).as("this test JVM sent DISARM before the deadline").isLessThan(deadline);
    awaitWatchdogPast(deadline);
    assertThat(fencedGroups()).isEmpty();
    assertThat(stoppedLines()).isEmpty();
  }

  @Test
  void disarmingOneGroup_leavesTheOtherArmed() throws Exception {
    watchdog.plan("web", List.of(step("stop")));
    watchdog.plan("db", List.of(new FenceStep("echo db >> '" + stopped + "'", Map.of(), 5_000)));
    long deadline = System.nanoTime() + ms(MARGIN_MILLIS);
    watchdog.arm("web", deadline);
    watchdog.arm("db", deadline);

    watchdog.disarm("db");

    assertThat(System.nanoTime()).as("this test JVM sent DISARM before the deadline").isLessThan(deadline);
    awaitWatchdogPast(deadline);
    assertThat(fencedGroups()).containsExactly("web");
    assertThat(stoppedLines()).containsExactly("stop web");
  }

  @Test
  void newPlan_replacesTheOldStepsOfTheGroup() throws Exception {
    watchdog.plan("web", List.of(step("old-epoch")));
    watchdog.plan("web", List.of(step("new-epoch")));

    watchdog.arm("web", System.nanoTime() + ms(100));

    await().atMost(PATIENCE).until(() -> fencedAtNanos.containsKey("web"));
    assertThat(stoppedLines()).containsExactly("new-epoch web");
  }

  @Test
  void agentPipeClosedWhileArmed_stillFencesAtTheDeadline_thenExits() throws Exception {
    watchdog.plan("web", List.of(step("stop")));
    long deadline = System.nanoTime() + ms(300);
    watchdog.arm("web", deadline);

    watchdog.close();

    await().atMost(PATIENCE).until(() -> fencedAtNanos.containsKey("web"));
    assertThat(fencedAtNanos.get("web")).isGreaterThanOrEqualTo(deadline);
    assertThat(stoppedLines()).containsExactly("stop web");
    await().atMost(PATIENCE).until(() -> !watchdog.alive());
  }

  @Test
  void agentPipeClosedWithNothingArmed_exitsAtOnce() {
    watchdog.close();

    await().atMost(Duration.ofSeconds(2 * MULTIPLE)).until(() -> !watchdog.alive());
    assertThat(fencedGroups()).isEmpty();
  }

  @Test
  void agentPipeClosedAfterDisarm_exitsWithoutFencing() throws Exception {
    watchdog.plan("web", List.of(step("stop")));
    watchdog.arm("web", System.nanoTime() + ms(60_000));
    watchdog.disarm("web");

    watchdog.close();

    await().atMost(Duration.ofSeconds(2 * MULTIPLE)).until(() -> !watchdog.alive());
    assertThat(fencedGroups()).isEmpty();
    assertThat(stoppedLines()).isEmpty();
  }

  @Test
  void watchdogThatDied_isReplacedOnTheNextCall_andTheReplacementFencesWithThePlanItWasGiven() throws Exception {
    watchdog.plan("web", List.of(step("stop-after-restart")));
    long oldPid = watchdog.pid();
    ProcessHandle.of(oldPid).ifPresent(ProcessHandle::destroyForcibly);
    await().atMost(PATIENCE).until(() -> !watchdog.alive());

    watchdog.arm("web", System.nanoTime() + ms(1500)); // the new JVM needs time to start before the deadline

    assertThat(watchdog.pid()).as("a new watchdog process").isNotEqualTo(oldPid);
    await().atMost(PATIENCE).until(() -> fencedGroups().contains("web"));
    assertThat(stoppedLines()).containsExactly("stop-after-restart web");
  }


  /**
   * The watchdog process is descheduled (swapped out, SIGSTOP, a long pause) while the agent keeps renewing. When it
   * runs again, its pipe holds an ARM whose deadline has passed followed by a newer ARM far in the future. The group
   * was re-armed, so it must not be fenced: fencing would stop the service on a healthy primary that still holds its
   * lease, and the agent only logs the FENCED line, so the group stays down.
   */
  @Test
  void watchdogStalledWhileTheAgentReArmed_fencesOnTheNewestDeadlineNotAStaleOne() throws Exception {
    watchdog.plan("web", List.of(step("stop")));
    signal("STOP");
    try {
      await().atMost(PATIENCE).until(() -> state(watchdog.pid()) == 'T');
      long stale = System.nanoTime() + ms(50);
      watchdog.arm("web", stale);
      watchdog.arm("web", System.nanoTime() + ms(60_000));
      await().atMost(PATIENCE).pollInterval(Duration.ofMillis(10)).until(() -> System.nanoTime() - stale > ms(50));
    } finally {
      signal("CONT");
    }

    barrier();
    assertThat(fencedGroups()).isEmpty();
    assertThat(stoppedLines()).isEmpty();
  }

  void signal(String sig) throws IOException, InterruptedException {
    Process kill = new ProcessBuilder("kill", "-" + sig, Long.toString(watchdog.pid())).inheritIO().start();
    assertThat(kill.waitFor()).isZero();
  }

  static char state(long pid) {
    try {
      String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
      return stat.charAt(stat.lastIndexOf(')') + 2);
    } catch (IOException e) {
      return '?';
    }
  }
}
