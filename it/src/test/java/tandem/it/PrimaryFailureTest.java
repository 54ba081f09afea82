package tandem.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static tandem.it.harness.TestCluster.group;
import static tandem.it.harness.TestCluster.member;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import tandem.it.harness.ServiceLog;
import tandem.it.harness.SharedWebCluster;
import tandem.it.harness.TestCluster;

/**
 * The primary's agent dies or hangs in a cluster of two data nodes and a witness: the group moves
 * to the standby, and the old primary's service is stopped (by its fencing watchdog, since the
 * agent cannot) before the standby starts it.
 */
@ExtendWith(SharedWebCluster.class)
class PrimaryFailureTest {
  /** Default lease 2s: three leases (and a little) is how long "does not move" must hold. */
  private static final Duration THREE_LEASES = Duration.ofSeconds(7);
  private static final Duration FAILOVER = Duration.ofSeconds(30);

  @Test
  void primaryKilled9_groupMovesToStandby(TestCluster c) throws Exception {
    ServiceLog service = c.service();
    TestCluster.Roles r = c.roles("web");
    int firstNewLine = service.size() + 1;

    Instant killed = c.kill9(r.primary());
    c.awaitRunning("web", r.standby());

    ServiceLog.Entry stopOld = service.find("stop", r.primary(), firstNewLine).orElseThrow(() -> new AssertionError(
        r.primary() + "'s service was never stopped after its agent was killed:\n" + ServiceLog.render(service.entries())));
    ServiceLog.Entry startNew = service.find("start", r.standby(), firstNewLine).orElseThrow();
    assertThat(stopOld.by()).as("who stopped %s's service (its agent is dead)", r.primary()).isEqualTo("watchdog");
    assertThat(stopOld.line()).as("old primary stopped before the new one started").isLessThan(startNew.line());
    assertThat(service.isRunning(r.primary())).as("%s's service process", r.primary()).isFalse();
    JsonNode s = c.status(r.standby());
    assertThat(member(s, "web", r.standby()).path("state").asText()).isEqualTo("running");
    assertThat(group(s, "web").path("epoch").asLong()).isEqualTo(startNew.epoch());

    System.out.printf("MEASURED kill -9 of %s -> watchdog stopped it: %d ms, -> start on %s: %d ms%n", r.primary(),
        millisBetween(killed, stopOld), r.standby(), millisBetween(killed, startNew));
    service.assertNoOverlap();
  }

  @Test
  void primaryHangs_sigstop_groupMoves_andAfterContItFindsItselfDemoted(TestCluster c) throws Exception {
    ServiceLog service = c.service();
    TestCluster.Roles r = c.roles("web");
    String old = r.primary();
    String next = r.standby();
    int firstNewLine = service.size() + 1;

    Instant stopped = c.stop(old);
    c.awaitRunning("web", next);
    ServiceLog.Entry stopOld = service.find("stop", old, firstNewLine).orElseThrow(() -> new AssertionError(
        old + "'s service was never stopped while its agent hung:\n" + ServiceLog.render(service.entries())));
    ServiceLog.Entry startNew = service.find("start", next, firstNewLine).orElseThrow();
    assertThat(stopOld.by()).as("who stopped %s's service (its agent hangs)", old).isEqualTo("watchdog");
    assertThat(stopOld.line()).as("old primary stopped before the new one started").isLessThan(startNew.line());
    System.out.printf("MEASURED SIGSTOP of %s -> watchdog stopped it: %d ms, -> start on %s: %d ms%n", old,
        millisBetween(stopped, stopOld), next, millisBetween(stopped, startNew));

    c.cont(old);
    // Old catches up on the Raft log entry by entry after SIGCONT: the new primary's "running" report
    // may be applied after the promotion, so both are awaited rather than read from one snapshot.
    c.awaitStatus(old, old + " knows it is a stopped replica and " + next + " runs web", FAILOVER, s ->
        next.equals(group(s, "web").path("primary").asText())
            && "replica".equals(member(s, "web", old).path("role").asText())
            && "stopped".equals(member(s, "web", old).path("state").asText())
            && "running".equals(member(s, "web", next).path("state").asText()));
    await(old + " stays demoted after SIGCONT").during(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(6))
        .until(() -> !service.isRunning(old) && service.isRunning(next));
    assertThat(service.find("start", old, firstNewLine)).as("%s started its service again", old).isEmpty();
    assertThat(c.get(old, "/primary?group=web")).as("/primary on %s", old).isEqualTo(503);
    assertThat(c.get(next, "/primary?group=web")).as("/primary on %s", next).isEqualTo(200);
    service.assertNoOverlap();
  }

  @Test
  void pausedGroup_doesNotFailOver(TestCluster c) throws Exception {
    ServiceLog service = c.service();
    TestCluster.Roles r = c.roles("web");
    var pause = c.cli(r.primary(), "pause", "web");
    assertThat(pause.exitCode()).as("pause: %s", pause).isZero();
    c.awaitStatus(r.standby(), "web is paused", FAILOVER, s -> group(s, "web").path("paused").asBoolean());
    int firstNewLine = service.size() + 1;

    c.kill9(r.primary());
    await(r.standby() + " stays a replica while web is paused").during(THREE_LEASES).atMost(THREE_LEASES.plusSeconds(5))
        .ignoreExceptions()
        .until(() -> !r.standby().equals(c.primaryOf("web", r.standby())) && !service.isRunning(r.standby())
            && service.find("start", r.standby(), firstNewLine).isEmpty());
    // Pausing stops automatic failover, not the lease: the dead primary's watchdog still fences it.
    assertThat(service.find("stop", r.primary(), firstNewLine)).as("%s fenced", r.primary()).isPresent();

    var resume = c.cli(r.standby(), "resume", "web");
    assertThat(resume.exitCode()).as("resume: %s", resume).isZero();
    c.awaitRunning("web", r.standby());
    service.assertNoOverlap();
  }

  /**
   * The watchdog is the only thing that can stop a hung primary's service. When it dies (the OOM
   * killer, a stray `pkill`), the agent must start a new one or step down; otherwise the next hang
   * of the agent leaves the service running while the standby starts it.
   */
  @Test
  void watchdogKilled_thenPrimaryHangs_serviceStillStopsBeforeStandbyStarts(TestCluster c) throws Exception {
    ServiceLog service = c.service();
    TestCluster.Roles r = c.roles("web");
    String old = r.primary();
    ProcessHandle watchdog = c.watchdogOf(old).orElseThrow(() -> new AssertionError(old + " runs no watchdog"));
    int firstNewLine = service.size() + 1;

    watchdog.destroyForcibly();
    await("watchdog of " + old + " gone").atMost(Duration.ofSeconds(5)).until(() -> !watchdog.isAlive());
    // The agent renews (and re-arms its watchdog) every 400 ms: within a few renewals it knows.
    boolean reacted;
    try {
      await(old + " replaces its watchdog or gives up the group").atMost(Duration.ofSeconds(5)).ignoreExceptions()
          .until(() -> c.watchdogOf(old).isPresent() || !old.equals(c.primaryOf("web", r.witness())));
      reacted = true;
    } catch (org.awaitility.core.ConditionTimeoutException e) {
      reacted = false;
    }
    String next = r.standby();
    if (old.equals(c.primaryOf("web", r.witness()))) {
      c.stop(old);
      c.awaitRunning("web", next);
      System.out.println("after its watchdog was killed and its agent stopped, " + old + "'s service "
          + (service.isRunning(old) ? "STILL RUNS" : "is stopped") + " while " + next + " runs web");
    }
    service.assertNoOverlap();
    assertThat(reacted).as("%s neither started a new watchdog nor gave up web within 5 s of losing its watchdog; events: %s",
        old, c.log(old).lines().filter(l -> l.contains("watchdog")).limit(3).toList()).isTrue();
    ServiceLog.Entry startNew = service.find("start", next, firstNewLine).orElseThrow();
    ServiceLog.Entry stopOld = service.find("stop", old, firstNewLine).orElseThrow();
    assertThat(stopOld.by()).as("who stopped %s's service (its agent hangs)", old).isEqualTo("watchdog");
    assertThat(stopOld.line()).as("old primary stopped before the new one started").isLessThan(startNew.line());
  }

  private static long millisBetween(Instant from, ServiceLog.Entry to) {
    return (to.nanos() - (from.getEpochSecond() * 1_000_000_000L + from.getNano())) / 1_000_000;
  }
}
