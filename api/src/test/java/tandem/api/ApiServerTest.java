package tandem.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tandem.cluster.ClusterCommand;
import tandem.cluster.CommandResult;
import tandem.cluster.GroupState;
import tandem.cluster.NodeReport;
import tandem.core.Event;
import tandem.core.EventLog;
import tandem.core.Level;
import tandem.failover.FailoverCoordinator;
import tandem.failover.LeaseTiming;
import tandem.testkit.FakeCluster;

/**
 * The REST API on a real socket (127.0.0.1, a free port), read with the JDK's HTTP client. The cluster is a
 * {@link FakeCluster} (testkit): three data nodes n1, n2, n3; group "web" (n1 primary, n2 active, n3 passive) has n1 as primary
 * and group "db" (n1 off, n2 primary, n3 active) has n2, both under epoch 1. Each test says which node answers.
 */
class ApiServerTest {
  static final String TOKEN = "s3cret-token";
  static final Duration PATIENCE = Duration.ofSeconds(20 * Long.getLong("timing-multiple", 1));
  static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path dir;
  FakeCluster cluster;
  EventLog events;
  final RecordingActions actions = new RecordingActions();
  final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  final List<AutoCloseable> closing = new ArrayList<>();
  ApiServer server;

  @BeforeEach
  void cluster() throws Exception {
    cluster = FakeCluster.withDataNodes("n1", "n2", "n3");
    cluster.setLeader("n1");
    closing.add(cluster);
    define("web", Map.of("n1", "primary", "n2", "active", "n3", "passive"));
    define("db", Map.of("n1", "off", "n2", "primary", "n3", "active"));
    promote("web", "n1");
    promote("db", "n2");
    events = new EventLog(dir.resolve("events/events.jsonl"));
  }

  @AfterEach
  void stop() throws Exception {
    if (server != null) {
      server.close();
    }
    for (AutoCloseable c : closing.reversed()) {
      c.close();
    }
    events.close();
    http.close();
  }

  // ---- load balancer endpoints -------------------------------------------------------------

  @Test
  void health_is200WithTheNodeName() throws Exception {
    start("n2");

    HttpResponse<String> r = get("/health");

    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(json(r).path("state").asText()).isEqualTo("running");
    assertThat(json(r).path("node").asText()).isEqualTo("n2");
  }

  @Test
  void primary_is200OnThePrimaryThatReportsRunningUnderTheCurrentEpoch() throws Exception {
    report("n1", "web", true, true, 1);
    start("n1");

    assertThat(get("/primary").statusCode()).isEqualTo(200);
    assertThat(get("/primary?group=web").statusCode()).isEqualTo(200);
    assertThat(json(get("/primary")).path("match").asBoolean()).isTrue();
  }

  @Test
  void primary_is503WhileThePrimaryHasNotReportedRunningYet() throws Exception {
    report("n1", "web", true, false, 0);
    start("n1");

    assertThat(get("/primary").statusCode()).isEqualTo(503);
    assertThat(get("/primary?group=web").statusCode()).isEqualTo(503);
  }

  @Test
  void primary_is503WhenItRunsUnderAnEarlierEpoch() throws Exception {
    report("n1", "web", true, true, 1);
    promote("web", "n1"); // n1 again, under epoch 2: what runs was started under epoch 1
    start("n1");

    assertThat(group("web").epoch()).isEqualTo(2);
    assertThat(get("/primary?group=web").statusCode()).isEqualTo(503);
  }

  @Test
  void primary_is503OnANodeThatIsNotThePrimary() throws Exception {
    report("n1", "web", true, true, 1);
    report("n3", "web", true, false, 0);
    start("n3");

    assertThat(get("/primary").statusCode()).isEqualTo(503);
    assertThat(get("/primary?group=web").statusCode()).isEqualTo(503);
  }

  @Test
  void primary_withGroup_answersForThatGroupOnly() throws Exception {
    report("n2", "db", true, true, 1);
    report("n2", "web", true, false, 0);
    start("n2");

    assertThat(get("/primary?group=db").statusCode()).isEqualTo(200);
    assertThat(get("/primary?group=web").statusCode()).isEqualTo(503);
    assertThat(get("/primary?group=nosuch").statusCode()).isEqualTo(503);
    assertThat(get("/primary").statusCode()).as("primary of some group").isEqualTo(200);
  }

  @Test
  void replica_is200OnAHealthyNodeThatIsNotPrimary() throws Exception {
    report("n3", "web", true, false, 0);
    report("n3", "db", true, false, 0);
    start("n3");

    assertThat(get("/replica").statusCode()).isEqualTo(200);
    assertThat(get("/replica?group=web").statusCode()).isEqualTo(200);
    assertThat(get("/read-only?group=web").statusCode()).isEqualTo(200);
  }

  @Test
  void replica_is503OnThePrimary() throws Exception {
    report("n1", "web", true, true, 1);
    start("n1");

    assertThat(get("/replica").statusCode()).isEqualTo(503);
    assertThat(get("/replica?group=web").statusCode()).isEqualTo(503);
    assertThat(get("/read-only?group=web").statusCode()).as("the primary serves reads too").isEqualTo(200);
  }

  @Test
  void replica_is503WhenNoLeaderIsKnown() throws Exception {
    report("n3", "web", true, false, 0);
    report("n3", "db", true, false, 0);
    cluster.setLeader(null);
    start("n3");

    assertThat(get("/replica").statusCode()).isEqualTo(503);
    assertThat(get("/replica?group=web").statusCode()).isEqualTo(503);
    assertThat(get("/read-only?group=web").statusCode()).isEqualTo(503);
  }

  @Test
  void replica_is503WhenACriticalCheckFailsOrNothingWasReported() throws Exception {
    report("n3", "web", false, false, 0);
    start("n3");

    assertThat(get("/replica?group=web").statusCode()).as("critical check failing").isEqualTo(503);
    assertThat(get("/replica?group=db").statusCode()).as("no report").isEqualTo(503);
  }

  @Test
  void replica_is503ForAGroupWhoseModeIsOffHere() throws Exception {
    report("n1", "db", true, false, 0);
    start("n1");

    assertThat(get("/replica?group=db").statusCode()).isEqualTo(503);
  }

  // ---- status ------------------------------------------------------------------------------

  @Test
  void status_hasTheFieldsTheCliReads() throws Exception {
    report("n1", "web", true, true, 1);
    report("n2", "web", true, false, 0);
    start("n1");

    HttpResponse<String> r = get("/api/v1/status");

    assertThat(r.statusCode()).isEqualTo(200);
    JsonNode s = json(r);
    assertThat(s.path("cluster").asText()).isEqualTo("shop");
    assertThat(s.path("node").asText()).isEqualTo("n1");
    assertThat(s.path("leader").asText()).isEqualTo("n1");
    assertThat(s.path("generation").asLong()).isEqualTo(1);
    assertThat(s.path("automaticFailover").asText()).isEqualTo("possible: 3 voters, 2 make a majority");
    assertThat(s.path("nodes")).hasSize(3);
    JsonNode n2 = s.path("nodes").get(1);
    assertThat(n2.path("name").asText()).isEqualTo("n2");
    assertThat(n2.path("id").asText()).hasSize(52);
    assertThat(n2.path("listen").asText()).isEqualTo("127.0.0.1:7400");
    assertThat(n2.path("api").asText()).isEqualTo("127.0.0.1:8400");
    assertThat(n2.path("witness").asBoolean()).isFalse();
    assertThat(n2.path("voter").asBoolean()).isTrue();

    JsonNode web = groupRow(s, "web");
    assertThat(web.path("primary").asText()).isEqualTo("n1");
    assertThat(web.path("epoch").asLong()).isEqualTo(1);
    assertThat(web.path("paused").asBoolean()).isFalse();
    assertThat(web.path("switchoverTo").isNull()).isTrue();
    assertThat(web.path("failback").asText()).isEqualTo("manual");
    assertThat(web.path("lastChange").asText()).startsWith("test setup at ");
    assertThat(web.path("why").asText()).as("no coordinator: no decision").isEmpty();
    assertThat(web.path("members")).hasSize(3);
    assertMember(web, "n1", "primary", "primary", "running", "no checks");
    assertMember(web, "n2", "active", "replica", "stopped", "no checks");
    assertMember(web, "n3", "passive", "replica", "unknown", "no report");
    assertThat(groupRow(s, "db").path("members").get(0).path("role").asText()).as("n1 is off for db").isEqualTo("-");
  }

  @Test
  void status_withoutQuorum_hasNoLeader() throws Exception {
    cluster.setLeader(null);
    start("n2");

    JsonNode s = json(get("/api/v1/status"));

    assertThat(s.has("leader")).isTrue();
    assertThat(s.path("leader").isNull()).isTrue();
  }

  @Test
  void status_onTheLeader_saysWhyForEachGroup() throws Exception {
    report("n1", "web", true, true, 1);
    cluster.setLeaderReady(true, "n1");
    // Time stands still for this coordinator, so it never finds a lease over and never acts.
    FailoverCoordinator coordinator = new FailoverCoordinator("n1", cluster,
        new LeaseTiming(Duration.ofSeconds(2), Duration.ofMillis(400), Duration.ofMillis(300)), Map.of(), () -> 42L,
        events, null);
    closing.add(coordinator);
    coordinator.start();
    await().atMost(PATIENCE).until(() -> coordinator.decisions().size() == 2);
    start("n1", coordinator);

    JsonNode s = json(get("/api/v1/status"));

    assertThat(groupRow(s, "web").path("why").asText()).isEqualTo("n1 is primary and holds its lease");
    assertThat(groupRow(s, "db").path("why").asText()).isEqualTo("n2 is primary and holds its lease");
  }

  @Test
  void status_onAFollower_showsTheLeadersLastDecision_andTheLeaseAsSeenHere() throws Exception {
    cluster.setLeader("n3");
    FailoverCoordinator coordinator = new FailoverCoordinator("n2", cluster,
        new LeaseTiming(Duration.ofSeconds(2), Duration.ofMillis(400), Duration.ofMillis(300)), Map.of(), () -> 42L,
        events, null);
    closing.add(coordinator);
    coordinator.start();
    cluster.apply(new ClusterCommand.NoteDecision("web", "n1 is primary and holds its lease", "n3",
        System.currentTimeMillis()));
    cluster.apply(new ClusterCommand.Renew("web", "n1", group("web").epoch()));
    start("n2", coordinator);

    JsonNode s = json(get("/api/v1/status"));

    assertThat(groupRow(s, "web").path("why").asText()).isEqualTo("n1 is primary and holds its lease");
    JsonNode n1 = null;
    for (JsonNode m : groupRow(s, "web").path("members")) {
      n1 = m.path("node").asText().equals("n1") ? m : n1;
    }
    assertThat(n1.path("lease").asText()).as("time stands still: a whole lease since the renewal n2 applied")
        .isEqualTo("~2000ms");
  }

  // ---- mutating calls ----------------------------------------------------------------------

  @Test
  void post_withoutToken_is401NamingTheTokenFile_andDoesNothing() throws Exception {
    start("n1");

    HttpResponse<String> r = post("/api/v1/groups/web/switchover?to=n2", null);

    assertThat(r.statusCode()).isEqualTo(401);
    assertThat(json(r).path("error").asText()).contains("api.token").contains("Authorization: Bearer");
    assertThat(post("/api/v1/invite", null).statusCode()).isEqualTo(401);
    assertThat(actions.calls).isEmpty();
  }

  @Test
  void post_withAWrongToken_is401_andDoesNothing() throws Exception {
    start("n1");

    HttpResponse<String> r = post("/api/v1/groups/web/pause", "not-" + TOKEN);

    assertThat(r.statusCode()).isEqualTo(401);
    assertThat(json(r).path("error").asText()).contains("api.token");
    assertThat(post("/api/v1/invite?ttl=1h", TOKEN + "x").statusCode()).isEqualTo(401);
    assertThat(actions.calls).isEmpty();
  }

  @Test
  void post_withTheToken_reachesTheAgent() throws Exception {
    start("n1");

    HttpResponse<String> r = post("/api/v1/groups/web/switchover?to=n2", TOKEN);

    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(json(r).path("ok").asBoolean()).isTrue();
    assertThat(json(r).path("message").asText()).isEqualTo("done");
    assertThat(json(r).path("epoch").asLong()).isEqualTo(2);
    assertThat(post("/api/v1/groups/web/failover?to=n3&force=true", TOKEN).statusCode()).isEqualTo(200);
    assertThat(post("/api/v1/groups/db/failover?to=n3", TOKEN).statusCode()).isEqualTo(200);
    assertThat(post("/api/v1/groups/web/pause", TOKEN).statusCode()).isEqualTo(200);
    assertThat(post("/api/v1/groups/web/resume", TOKEN).statusCode()).isEqualTo(200);
    assertThat(actions.calls).containsExactly("switchover web n2", "failover web n3 force=true",
        "failover db n3 force=false", "pause web true", "pause web false");
  }

  @Test
  void backupRun_needsTheToken_anUnknownBackupIs400_andAnUnknownRunIs404NamingWhy() throws Exception {
    start("n1");

    assertThat(post("/api/v1/backups/nightly/run", null).statusCode()).isEqualTo(401);
    HttpResponse<String> none = post("/api/v1/backups/nightly/run", TOKEN);
    assertThat(none.statusCode()).isEqualTo(400);
    assertThat(json(none).path("error").asText()).isEqualTo("this agent takes no backups");
    HttpResponse<String> run = get("/api/v1/backups/runs/abc?wait=1s");
    assertThat(run.statusCode()).isEqualTo(404);
    assertThat(json(run).path("error").asText()).contains("no backup run abc").contains("10 minutes").contains("tandem events");
  }

  @Test
  void post_refusedByTheCluster_is409WithTheReason() throws Exception {
    actions.answer = CommandResult.refused("n9 is not a data node of cluster shop; members: [n1, n2, n3]");
    start("n1");

    HttpResponse<String> r = post("/api/v1/groups/web/switchover?to=n9", TOKEN);

    assertThat(r.statusCode()).isEqualTo(409);
    assertThat(json(r).path("ok").asBoolean()).isFalse();
    assertThat(json(r).path("message").asText()).isEqualTo("n9 is not a data node of cluster shop; members: [n1, n2, n3]");
  }

  @Test
  void post_withoutTarget_is400NamingTheParameter() throws Exception {
    start("n1");

    HttpResponse<String> r = post("/api/v1/groups/web/switchover", TOKEN);

    assertThat(r.statusCode()).isEqualTo(400);
    assertThat(json(r).path("error").asText()).isEqualTo("missing query parameter 'to'");
    assertThat(actions.calls).isEmpty();
  }

  @Test
  void post_whenTheClusterDoesNotAnswer_is503() throws Exception {
    actions.failure = new java.util.concurrent.TimeoutException("no quorum within 5s");
    start("n1");

    HttpResponse<String> r = post("/api/v1/groups/web/pause", TOKEN);

    assertThat(r.statusCode()).isEqualTo(503);
    assertThat(json(r).path("error").asText()).contains("the cluster did not answer").contains("no quorum within 5s");
  }

  @Test
  void invite_withTheToken_returnsAToken_validForTheTtlAsked() throws Exception {
    start("n1");

    HttpResponse<String> r = post("/api/v1/invite?ttl=30m", TOKEN);
    HttpResponse<String> byDefault = post("/api/v1/invite", TOKEN);

    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(json(r).path("token").asText()).isEqualTo("join-token");
    assertThat(byDefault.statusCode()).isEqualTo(200);
    assertThat(actions.calls).containsExactly("invite PT30M", "invite PT1H");
  }

  @Test
  void invite_withABadTtl_is400SayingWhatADurationLooksLike() throws Exception {
    start("n1");

    HttpResponse<String> r = post("/api/v1/invite?ttl=soon", TOKEN);

    assertThat(r.statusCode()).isEqualTo(400);
    assertThat(json(r).path("error").asText()).isEqualTo("'soon' is not a duration: write e.g. 500ms, 2s, 1m30s, 1h, 14d");
    assertThat(actions.calls).isEmpty();
  }

  // ---- events ------------------------------------------------------------------------------

  @Test
  void events_returnsThoseAfterTheGivenNumber() throws Exception {
    emit("first");
    emit("second");
    start("n1");

    HttpResponse<String> r = get("/api/v1/events?after=1");

    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    JsonNode list = json(r);
    assertThat(list).hasSize(1);
    assertThat(list.get(0).path("seq").asLong()).isEqualTo(2);
    assertThat(list.get(0).path("event").path("message").asText()).isEqualTo("second");
    assertThat(list.get(0).path("event").path("kind").asText()).isEqualTo("test");
  }

  @Test
  void events_longPoll_returnsAnEventEmittedWhileWaiting() throws Exception {
    emit("before");
    start("n1");
    long sent = System.nanoTime();

    CompletableFuture<HttpResponse<String>> poll = http.sendAsync(
        request("/api/v1/events?after=1&wait=20s").header("Authorization", "Bearer " + TOKEN).GET().build(), HttpResponse.BodyHandlers.ofString());
    await().during(Duration.ofMillis(300)).atMost(PATIENCE).until(() -> !poll.isDone());
    emit("while waiting");

    HttpResponse<String> r = poll.get(PATIENCE.toSeconds(), java.util.concurrent.TimeUnit.SECONDS);
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    assertThat(json(r).findValuesAsText("message")).containsExactly("while waiting");
    assertThat(Duration.ofNanos(System.nanoTime() - sent)).as("answered when the event came, not at the end of the wait")
        .isLessThan(Duration.ofSeconds(15));
  }

  @Test
  void metrics_showEachReplicasProgressInThePrometheusFormat() throws Exception {
    var replica = new tandem.filesync.ReplicaProgress("n2", "behind", 10, 1000, 3, 300, 1.5, 2048, 0, 0, 0, 0, "");
    var receiver = new tandem.filesync.ReceiverStatus(false, "", 0, false, 0, 0, 0, 0, 0, 0, 0);
    files = java.util.List.of(new tandem.filesync.FilesStatus("web", 0, "/srv/www", true, 13, 1300,
        java.util.List.of(replica), receiver));
    start("n1");

    HttpResponse<String> r = get("/metrics");

    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.headers().firstValue("content-type").orElse("")).startsWith("text/plain");
    assertThat(r.body())
        .contains("tandem_files_replica_behind_entries{group=\"web\",replica=\"n2\",resource=\"0\"} 3.0")
        .contains("tandem_files_replica_behind_seconds{group=\"web\",replica=\"n2\",resource=\"0\"} 1.5")
        .contains("tandem_files_entries{group=\"web\",path=\"/srv/www\",resource=\"0\"} 13.0")
        .contains("tandem_files_conflict_copies_total{group=\"web\",path=\"/srv/www\",resource=\"0\"} 0.0");
  }

  // ---- the token: reads closed by default, open with api.open-read, writes always closed ---------

  @Test
  void reads_needTheToken_byDefault_butTheLoadBalancerEndpointsNever() throws Exception {
    report("n1", "web", true, true, 1);
    start("n1");

    for (String path : List.of("/api/v1/status", "/api/v1/events?after=0", "/metrics")) {
      HttpResponse<String> r = getWithoutToken(path);
      assertThat(r.statusCode()).as(path).isEqualTo(401);
      assertThat(json(r).path("error").asText()).as(path).contains("api.token").contains("api: { open-read: true }");
    }
    assertThat(getWithoutToken("/health").statusCode()).isEqualTo(200);
    assertThat(getWithoutToken("/liveness").statusCode()).isEqualTo(200);
    assertThat(getWithoutToken("/primary?group=web").statusCode()).isEqualTo(200);
    assertThat(getWithoutToken("/replica?group=web").statusCode()).as("503, not 401").isEqualTo(503);
    assertThat(getWithoutToken("/read-only").statusCode()).isEqualTo(200);
    assertThat(get("/api/v1/status").statusCode()).isEqualTo(200);
    assertThat(get("/metrics").statusCode()).isEqualTo(200);
  }

  @Test
  void openRead_letsReadsThrough_butEveryMutatingCallStillNeedsTheToken() throws Exception {
    access = new tandem.config.ApiSettings(true);
    start("n1");

    assertThat(getWithoutToken("/api/v1/status").statusCode()).isEqualTo(200);
    assertThat(getWithoutToken("/api/v1/events?after=0").statusCode()).isEqualTo(200);
    assertThat(getWithoutToken("/metrics").statusCode()).isEqualTo(200);
    for (String path : List.of("/api/v1/groups/web/switchover?to=n2", "/api/v1/groups/web/failover?to=n2&force=true",
        "/api/v1/groups/web/pause", "/api/v1/groups/web/resume", "/api/v1/invite?ttl=1h", "/api/v1/leave",
        "/api/v1/members/n3/remove?force=true")) {
      assertThat(post(path, null).statusCode()).as(path).isEqualTo(401);
    }
    assertThat(actions.calls).isEmpty();
    assertThat(post("/api/v1/leave", TOKEN).statusCode()).isEqualTo(200);
    assertThat(post("/api/v1/members/n3/remove", TOKEN).statusCode()).isEqualTo(200);
    assertThat(actions.calls).containsExactly("leave force=false", "remove n3 force=false");
  }

  // ---- metrics of the cluster, checks, failovers, backups, alerts ----------------------------

  @Test
  void metrics_followASwitchover_roleEpochCountsAndTheGapWithoutPrimary() throws Exception {
    long[] nanos = {0};
    tandem.failover.FailoverHistory history = new tandem.failover.FailoverHistory(() -> nanos[0]);
    cluster.addListener((before, cmd, result, after) -> history.applied(before, cmd, after, false));
    var check = new tandem.health.CheckStatus("web", "http", tandem.health.CheckState.FAILING, 0, true, "HTTP 503", 0, 4);
    var backupRun = new tandem.backup.BackupScheduler.LastRun("nightly", Instant.ofEpochSecond(1_800_000_000L), true,
        "abcd", 12, 3000, 1000, 2.5, "ok");
    var target = new tandem.alert.Notifier.TargetStats("webhook hooks.example.com", "webhook", 7, 2, 0, 1, true);
    metricSources = new MetricSources(() -> List.of(new tandem.health.HealthReport("web", List.of(check))), history,
        () -> List.of(new tandem.backup.BackupScheduler.Totals("nightly", 3, 1, backupRun, backupRun.at())),
        () -> List.of(target));
    report("n1", "web", true, true, 1);
    start("n1");

    String before = get("/metrics").body();
    assertThat(before)
        .contains("tandem_group_primary{group=\"web\",node=\"n1\"} 1.0")
        .contains("tandem_group_primary{group=\"web\",node=\"n2\"} 0.0")
        .contains("tandem_group_running{group=\"web\",node=\"n1\"} 1.0")
        .contains("tandem_group_epoch{group=\"web\"} 1.0")
        .contains("tandem_group_paused{group=\"web\"} 0.0")
        .contains("tandem_raft_leader{node=\"n1\"} 1.0")
        .contains("tandem_check_passing{check=\"web\",group=\"web\",kind=\"http\"} 0.0")
        .contains("tandem_check_failures_in_a_row{check=\"web\",group=\"web\",kind=\"http\"} 4.0")
        .contains("tandem_backup_runs_total{backup=\"nightly\",result=\"success\"} 3.0")
        .contains("tandem_backup_runs_total{backup=\"nightly\",result=\"failure\"} 1.0")
        .contains("tandem_backup_last_success_timestamp_seconds{backup=\"nightly\"} 1.8E9")
        .contains("tandem_backup_last_duration_seconds{backup=\"nightly\"} 2.5")
        .contains("tandem_backup_last_read_bytes{backup=\"nightly\"} 3000.0")
        .contains("tandem_alerts_delivered_total{target=\"webhook hooks.example.com\",type=\"webhook\"} 7.0")
        .contains("tandem_alert_target_failing{target=\"webhook hooks.example.com\",type=\"webhook\"} 1.0")
        .doesNotContain("tandem_switchovers_total{group=\"web\"}");

    assertThat(cluster.apply(new ClusterCommand.RequestSwitchover("web", "n2", "test", System.currentTimeMillis())).ok())
        .isTrue();
    nanos[0] += 800_000_000L;
    assertThat(cluster.apply(new ClusterCommand.Release("web", "n1", 1, System.currentTimeMillis())).ok()).isTrue();
    nanos[0] += 700_000_000L;
    report("n1", "web", true, false, 0);
    report("n2", "web", true, true, 2);
    cluster.apply(new ClusterCommand.SetPaused("web", true, "n1"));

    String after = get("/metrics").body();
    assertThat(after)
        .contains("tandem_group_primary{group=\"web\",node=\"n1\"} 0.0")
        .contains("tandem_group_primary{group=\"web\",node=\"n2\"} 1.0")
        .contains("tandem_group_running{group=\"web\",node=\"n2\"} 1.0")
        .contains("tandem_group_epoch{group=\"web\"} 2.0")
        .contains("tandem_group_paused{group=\"web\"} 1.0")
        .contains("tandem_switchovers_total{group=\"web\"} 1.0")
        .contains("tandem_failovers_total{group=\"web\"} 0.0")
        .contains("tandem_primary_gap_last_seconds{group=\"web\"} 1.5")
        .contains("tandem_primary_gap_seconds_bucket{group=\"web\",kind=\"switchover\",le=\"1.0\"} 0")
        .contains("tandem_primary_gap_seconds_bucket{group=\"web\",kind=\"switchover\",le=\"2.0\"} 1")
        .contains("tandem_primary_gap_seconds_count{group=\"web\",kind=\"switchover\"} 1");
  }

  @Test
  void grafanaDashboard_readsOnlyMetricsTheAgentExposes() throws Exception {
    var replica = new tandem.filesync.ReplicaProgress("n2", "behind", 10, 1000, 3, 300, 1.5, 2048, 0, 0, 0, 0, "");
    var receiver = new tandem.filesync.ReceiverStatus(false, "", 0, false, 0, 0, 0, 0, 0, 0, 0);
    files = List.of(new tandem.filesync.FilesStatus("web", 0, "/srv/www", true, 13, 1300, List.of(replica), receiver));
    databases = List.of(new tandem.db.DbStatus("web", 1, "postgres", "primary", "running", 100, 100, 1, 0,
        List.of(new tandem.db.DbStatus.ReplicaLag("n2", "streaming", "async", 90, 10, 0.2))));
    var check = new tandem.health.CheckStatus("web", "http", tandem.health.CheckState.PASSING, 0, true, "ok", 0, 0);
    var run = new tandem.backup.BackupScheduler.LastRun("nightly", Instant.now(), true, "abcd", 1, 2, 3, 4, "ok");
    tandem.failover.FailoverHistory history = new tandem.failover.FailoverHistory(System::nanoTime);
    metricSources = new MetricSources(() -> List.of(new tandem.health.HealthReport("web", List.of(check))), history,
        () -> List.of(new tandem.backup.BackupScheduler.Totals("nightly", 1, 0, run, run.at())),
        () -> List.of(new tandem.alert.Notifier.TargetStats("email ops@example.com", "email", 1, 0, 0, 0, false)));
    cluster.addListener((before, cmd, result, after) -> history.applied(before, cmd, after, false));
    report("n1", "web", true, true, 1);
    FailoverCoordinator coordinator = new FailoverCoordinator("n1", cluster, new LeaseTiming(Duration.ofSeconds(2),
        Duration.ofMillis(400), Duration.ofMillis(300)), Map.of(), () -> 42L, events, null);
    closing.add(coordinator);
    coordinator.start(); // a follower here (the leader is not ready): it only notes the renewals it applies
    start("n1", coordinator);
    cluster.apply(new ClusterCommand.RequestSwitchover("web", "n2", "test", System.currentTimeMillis()));
    cluster.apply(new ClusterCommand.Release("web", "n1", 1, System.currentTimeMillis()));
    report("n2", "web", true, true, 2);
    cluster.apply(new ClusterCommand.Renew("web", "n2", 2));
    await().atMost(PATIENCE).until(() -> get("/metrics").body().contains("tandem_group_lease_remaining_seconds{"));
    String scraped = get("/metrics").body();
    assertThat(scraped).contains("tandem_group_lease_remaining_seconds{group=\"web\",node=\"n2\"} 2.0");
    java.util.Set<String> exposed = new java.util.HashSet<>();
    scraped.lines().filter(l -> !l.startsWith("#") && !l.isBlank())
        .forEach(l -> exposed.add(l.split("[{ ]", 2)[0]));

    String dashboard = java.nio.file.Files.readString(Path.of("..", "dist", "grafana", "tandem.json"));
    java.util.Set<String> used = new java.util.TreeSet<>();
    java.util.regex.Matcher m = java.util.regex.Pattern.compile("tandem_[a-z_]+").matcher(dashboard);
    while (m.find()) {
      used.add(m.group());
    }
    assertThat(used).hasSizeGreaterThan(15);
    assertThat(used).allSatisfy(name -> assertThat(exposed).as("exposed metrics").contains(name));
  }

  // ---- helpers -----------------------------------------------------------------------------

  java.util.List<tandem.filesync.FilesStatus> files = java.util.List.of();
  java.util.List<tandem.db.DbStatus> databases = java.util.List.of();

  void start(String self) {
    start(self, null);
  }

  void start(String self, FailoverCoordinator coordinator) {
    server = ApiServer.start("127.0.0.1", 0, new ApiServer.Wiring(self, cluster, coordinator, events, actions,
        () -> TOKEN, () -> files, () -> databases, access, metricSources));
  }

  tandem.config.ApiSettings access = tandem.config.ApiSettings.DEFAULT;
  MetricSources metricSources = MetricSources.none();

  void define(String group, Map<String, String> modes) {
    assertThat(cluster.apply(new ClusterCommand.DefineGroup(group, modes, "manual", 0, "n1", "hash")).ok()).isTrue();
  }

  void promote(String group, String node) {
    GroupState g = group(group);
    CommandResult r = cluster.apply(new ClusterCommand.Promote(group, node, g.epoch(), g.renewals(), "test setup",
        System.currentTimeMillis()));
    assertThat(r.ok()).as(r.message()).isTrue();
  }

  GroupState group(String name) {
    return cluster.state().groups().get(name);
  }

  void report(String node, String group, boolean passing, boolean running, long runningEpoch) {
    cluster.apply(new ClusterCommand.Report(new NodeReport(node, group, passing, !passing, 0,
        passing ? "no checks" : "cmd:probe failing (exit 1)", running, runningEpoch, System.currentTimeMillis())));
  }

  void emit(String message) {
    events.emit(new Event(Instant.now(), Level.WARNING, "test", "n1", "web", message));
  }

  HttpRequest.Builder request(String path) {
    return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path)).timeout(PATIENCE);
  }

  /** GET with the token, as `tandem` on the node sends it. */
  HttpResponse<String> get(String path) throws Exception {
    return http.send(request(path).header("Authorization", "Bearer " + TOKEN).GET().build(),
        HttpResponse.BodyHandlers.ofString());
  }

  /** GET without a token, as a load balancer or a stranger sends it. */
  HttpResponse<String> getWithoutToken(String path) throws Exception {
    return http.send(request(path).GET().build(), HttpResponse.BodyHandlers.ofString());
  }

  HttpResponse<String> post(String path, String token) throws Exception {
    HttpRequest.Builder b = request(path).POST(HttpRequest.BodyPublishers.noBody());
    if (token != null) {
      b.header("Authorization", "Bearer " + token);
    }
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  static JsonNode json(HttpResponse<String> r) throws Exception {
    return JSON.readTree(r.body());
  }

  static JsonNode groupRow(JsonNode status, String group) {
    for (JsonNode g : status.path("groups")) {
      if (g.path("group").asText().equals(group)) {
        return g;
      }
    }
    throw new AssertionError("no group " + group + " in " + status);
  }

  static void assertMember(JsonNode group, String node, String mode, String role, String state, String health) {
    for (JsonNode m : group.path("members")) {
      if (m.path("node").asText().equals(node)) {
        assertThat(List.of(m.path("mode").asText(), m.path("role").asText(), m.path("state").asText(),
            m.path("health").asText())).as("member %s of %s", node, group.path("group").asText())
            .containsExactly(mode, role, state, health);
        assertThat(m.has("weight")).isTrue();
        assertThat(m.has("lease")).isTrue();
        return;
      }
    }
    throw new AssertionError("no member " + node + " in " + group);
  }

  /** Records each call as one line and answers with {@link #answer}, or throws {@link #failure}. */
  static final class RecordingActions implements AgentActions {
    final List<String> calls = new CopyOnWriteArrayList<>();
    volatile CommandResult answer = CommandResult.ok("done", 2);
    volatile Exception failure;

    @Override
    public CommandResult switchover(String group, String to) throws Exception {
      return record("switchover " + group + " " + to);
    }

    @Override
    public CommandResult failover(String group, String to, boolean force) throws Exception {
      return record("failover " + group + " " + to + " force=" + force);
    }

    @Override
    public CommandResult pause(String group, boolean paused) throws Exception {
      return record("pause " + group + " " + paused);
    }

    @Override
    public String invite(Duration ttl) throws Exception {
      record("invite " + ttl);
      return "join-token";
    }

    @Override
    public CommandResult leave(boolean force) throws Exception {
      return record("leave force=" + force);
    }

    @Override
    public CommandResult removeNode(String node, boolean force) throws Exception {
      return record("remove " + node + " force=" + force);
    }

    private CommandResult record(String call) throws Exception {
      calls.add(call);
      if (failure != null) {
        throw failure;
      }
      return answer;
    }
  }
}
