package tandem.resource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tandem.core.Role;
import tandem.core.Shell;

/**
 * A group's resources with real shell commands that append to a journal file, so the order in which tandem ran
 * them is the order of the journal's lines.
 */
class ResourceChainTest {
  static final Duration TIMEOUT = Duration.ofSeconds(10);
  static final RoleChange PROMOTION = new RoleChange("n1", "web", Role.PRIMARY, Role.REPLICA, 7);
  static final RoleChange DEMOTION = new RoleChange("n1", "web", Role.REPLICA, Role.PRIMARY, 7);

  @TempDir
  Path dir;
  Path journal;

  @BeforeEach
  void journal() {
    journal = dir.resolve("journal");
  }

  /** A command that writes {@code line} to the journal, then exits with {@code exit}. */
  String note(String line, int exit) {
    return "echo " + line + " >> '" + journal + "'; exit " + exit;
  }

  String note(String line) {
    return note(line, 0);
  }

  ServiceResource service(String name) {
    return new ServiceResource(note("start-" + name), note("stop-" + name), TIMEOUT);
  }

  List<String> journalLines() throws IOException {
    return Files.exists(journal) ? Files.readAllLines(journal) : List.of();
  }

  @Test
  void promotion_startsResourcesFirstToLast() throws Exception {
    new ResourceChain(List.of(service("a"), service("b"), service("c"))).start(PROMOTION);

    assertThat(journalLines()).containsExactly("start-a", "start-b", "start-c");
  }

  @Test
  void demotion_stopsResourcesLastToFirst() throws Exception {
    new ResourceChain(List.of(service("a"), service("b"), service("c"))).stop(DEMOTION);

    assertThat(journalLines()).containsExactly("stop-c", "stop-b", "stop-a");
  }

  @Test
  void failedStart_stopsTheAlreadyStartedOnesInReverse_andNamesTheCommandAndItsExit() throws Exception {
    String failing = note("start-c", 3);
    ResourceChain chain = new ResourceChain(List.of(service("a"), service("b"),
        new ServiceResource(failing, note("stop-c"), TIMEOUT), service("d")));

    assertThatThrownBy(() -> chain.start(PROMOTION))
        .isInstanceOf(ResourceException.class)
        .hasMessageContaining("start command '" + failing + "'")
        .hasMessageContaining("group web")
        .hasMessageContaining("exit 3");
    assertThat(journalLines()).startsWith("start-a", "start-b", "start-c")
        .endsWith("stop-b", "stop-a")
        .doesNotContain("start-d", "stop-d");
  }

  /**
   * A start command that fails half way (two of three containers up, a daemon started but its readiness probe
   * failed, a timeout) leaves part of the service running. Stop must be idempotent ({@link Resource}), so the chain
   * can and should stop the failing resource too; otherwise "a half-started group never stays up" does not hold and
   * the service may run here while another node is promoted.
   */
  @Test
  void failedStart_alsoStopsTheResourceThatFailed_soAHalfStartedServiceIsNotLeftUp() throws Exception {
    ResourceChain chain = new ResourceChain(List.of(service("a"),
        new ServiceResource(note("start-b", 1), note("stop-b"), TIMEOUT)));

    assertThatThrownBy(() -> chain.start(PROMOTION)).isInstanceOf(ResourceException.class);

    assertThat(journalLines()).containsExactly("start-a", "start-b", "stop-b", "stop-a");
  }

  @Test
  void startThatTimesOut_failsSayingItWasKilled() throws Exception {
    ResourceChain chain = new ResourceChain(List.of(service("a"),
        new ServiceResource("sleep 30", note("stop-b"), Duration.ofMillis(300))));

    assertThatThrownBy(() -> chain.start(PROMOTION))
        .isInstanceOf(ResourceException.class)
        .hasMessageContaining("start command 'sleep 30'")
        .hasMessageContaining("timeout");
    assertThat(journalLines()).startsWith("start-a").endsWith("stop-a");
  }

  @Test
  void failedStop_goesOnWithTheOthers_andThrowsTheFirstFailure() throws Exception {
    String stopC = note("stop-c", 4);
    ResourceChain chain = new ResourceChain(List.of(
        new ServiceResource(note("start-a"), note("stop-a", 5), TIMEOUT),
        service("b"),
        new ServiceResource(note("start-c"), stopC, TIMEOUT)));

    assertThatThrownBy(() -> chain.stop(DEMOTION))
        .isInstanceOf(ResourceException.class)
        .hasMessageContaining("stop command '" + stopC + "'")
        .hasMessageContaining("exit 4")
        .hasMessageNotContaining("exit 5");
    assertThat(journalLines()).containsExactly("stop-c", "stop-b", "stop-a");
  }

  @Test
  void commandsSeeTheRoleChangeInTheirEnvironment() throws Exception {
    String env = "echo \"$TANDEM_GROUP $TANDEM_ROLE $TANDEM_OLD_ROLE $TANDEM_EPOCH $TANDEM_NODE\" >> '" + journal + "'";
    ResourceChain chain = new ResourceChain(List.of(new ServiceResource(env, env, TIMEOUT)));

    chain.start(PROMOTION);
    chain.stop(new RoleChange("n1", "web", Role.REPLICA, Role.PRIMARY, 8));

    assertThat(journalLines()).containsExactly("web primary replica 7 n1", "web replica primary 8 n1");
  }

  @Test
  void fenceSteps_stopTheChainInReverseWithTheRoleChangeEnvironment() {
    ResourceChain chain = new ResourceChain(List.of(service("a"), service("b")));

    List<FenceStep> steps = chain.fenceSteps(DEMOTION);

    assertThat(steps).extracting(FenceStep::command).containsExactly(note("stop-b"), note("stop-a"));
    assertThat(steps).allSatisfy(s -> {
      assertThat(s.env()).isEqualTo(DEMOTION.environment());
      assertThat(s.timeoutMillis()).isEqualTo(TIMEOUT.toMillis());
    });
  }

  @Test
  void emptyChain_startsAndStopsNothing() throws Exception {
    ResourceChain chain = new ResourceChain(List.of());

    chain.start(PROMOTION);
    chain.stop(DEMOTION);

    assertThat(chain.isEmpty()).isTrue();
    assertThat(chain.fenceSteps(DEMOTION)).isEmpty();
  }

  @Test
  void hook_seesTheRoleChangeAndReturnsTheResult() throws Exception {
    Hook hook = new Hook("on-promote",
        "echo \"$TANDEM_NODE became $TANDEM_ROLE of $TANDEM_GROUP (was $TANDEM_OLD_ROLE) at $TANDEM_EPOCH\"", TIMEOUT);

    Shell.Result r = hook.run(PROMOTION);

    assertThat(r.ok()).isTrue();
    assertThat(r.output()).isEqualTo("n1 became primary of web (was replica) at 7\n");
    assertThat(r.summary()).isEqualTo("exit 0: n1 became primary of web (was replica) at 7");
  }

  @Test
  void failingHook_isReportedNotThrown() throws Exception {
    Shell.Result r = new Hook("on-demote", "echo cannot notify >&2; exit 2", TIMEOUT).run(DEMOTION);

    assertThat(r.ok()).isFalse();
    assertThat(r.exitCode()).isEqualTo(2);
    assertThat(r.summary()).isEqualTo("exit 2: cannot notify");
  }

  @Test
  void hangingHook_isKilledAtItsTimeout() throws Exception {
    Shell.Result r = new Hook("on-demote", "sleep 30", Duration.ofMillis(200)).run(DEMOTION);

    assertThat(r.ok()).isFalse();
    assertThat(r.timedOut()).isTrue();
    assertThat(r.took()).isLessThan(Duration.ofSeconds(5));
  }

  @Test
  void hookFenceStep_carriesCommandEnvironmentAndTimeout() {
    Hook hook = new Hook("on-demote", "notify.sh", Duration.ofSeconds(3));

    assertThat(hook.fenceStep(DEMOTION)).isEqualTo(new FenceStep("notify.sh", DEMOTION.environment(), 3000));
  }
}
