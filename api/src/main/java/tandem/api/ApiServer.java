package tandem.api;

import io.javalin.Javalin;
import io.javalin.http.Context;
import io.javalin.http.HttpStatus;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import tandem.cluster.Cluster;
import tandem.cluster.ClusterState;
import tandem.cluster.CommandResult;
import tandem.cluster.GroupState;
import tandem.cluster.NodeReport;
import tandem.config.ApiSettings;
import tandem.core.Durations;
import tandem.core.EventLog;
import tandem.failover.FailoverCoordinator;
import tandem.filesync.FilesStatus;

/**
 * The agent's REST API. Load-balancer endpoints follow Patroni's contract (200 or 503):
 * GET /health, /primary, /replica, /read-only, each with an optional ?group=. The operator's
 * API lives under /api/v1; its mutating calls need the node's API token (Bearer).
 */
public final class ApiServer implements AutoCloseable {
  private final Javalin app;

  private ApiServer(Javalin app) {
    this.app = app;
  }

  /**
   * The parts of the agent the API reads and drives.
   *
   * @param access whether read-only calls need the token ({@code api.open-read})
   * @param metrics what /metrics shows besides the cluster state, files and databases
   */
  public record Wiring(String self, Cluster cluster, FailoverCoordinator coordinator, EventLog events,
      AgentActions actions, Supplier<String> token, Supplier<List<FilesStatus>> files,
      Supplier<List<tandem.db.DbStatus>> databases, ApiSettings access, MetricSources metrics) {

    /** Read-only calls need the token; /metrics shows the cluster state, files and databases only. */
    public Wiring(String self, Cluster cluster, FailoverCoordinator coordinator, EventLog events, AgentActions actions,
        Supplier<String> token, Supplier<List<FilesStatus>> files, Supplier<List<tandem.db.DbStatus>> databases) {
      this(self, cluster, coordinator, events, actions, token, files, databases, ApiSettings.DEFAULT, MetricSources.none());
    }
  }

  public static ApiServer start(String host, int port, Wiring w) {
    Javalin app = Javalin.create(config -> {
      config.showJavalinBanner = false;
      config.useVirtualThreads = true;
      config.jsonMapper(new io.javalin.json.JavalinJackson(com.fasterxml.jackson.databind.json.JsonMapper.builder()
          .addModule(new com.fasterxml.jackson.datatype.jsr310.JavaTimeModule())
          .disable(com.fasterxml.jackson.databind.SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
          .build(), true));
    });
    routes(app, w);
    try {
      app.start(host, port);
    } catch (RuntimeException e) {
      throw new IllegalStateException("cannot listen on API address " + host + ":" + port + ": " + e.getMessage()
          + "; make sure no other process uses the port, or change node.api in tandem.yaml", e);
    }
    return new ApiServer(app);
  }

  public int port() {
    return app.port();
  }

  private static void routes(Javalin app, Wiring w) {
    app.get("/health", ctx -> ctx.json(Map.of("state", "running", "node", w.self())));
    app.get("/liveness", ctx -> ctx.json(Map.of("state", "running")));
    app.get("/primary", ctx -> answer(ctx, isPrimary(w, ctx.queryParam("group")), "primary"));
    app.get("/replica", ctx -> answer(ctx, isHealthyReplica(w, ctx.queryParam("group")), "replica"));
    app.get("/read-only", ctx -> {
      String g = ctx.queryParam("group");
      answer(ctx, isPrimary(w, g) || isHealthyReplica(w, g), "read-only");
    });
    Metrics metrics = new Metrics(w);
    app.get("/metrics", ctx -> ctx.contentType(Metrics.CONTENT_TYPE).result(metrics.scrape()));
    app.get("/api/v1/status", ctx -> ctx.json(StatusBuilder.build(w.self(), w.cluster(), w.coordinator(), w.files().get(),
        w.databases().get())));
    app.get("/api/v1/events", ctx -> events(ctx, w));
    // Every call under /api/v1 needs the token, reads too unless api.open-read; the load balancers' endpoints above
    // never do, since a load balancer cannot send one.
    app.before("/api/v1/*", ctx -> {
      if (ctx.method() != io.javalin.http.HandlerType.GET || !w.access().openRead()) {
        authorize(ctx, w);
      }
    });
    app.before("/metrics", ctx -> {
      if (!w.access().openRead()) {
        authorize(ctx, w);
      }
    });
    app.post("/api/v1/groups/{group}/switchover", ctx ->
        result(ctx, w.actions().switchover(ctx.pathParam("group"), required(ctx, "to"))));
    app.post("/api/v1/groups/{group}/failover", ctx -> result(ctx, w.actions().failover(ctx.pathParam("group"),
        required(ctx, "to"), "true".equals(ctx.queryParam("force")))));
    app.post("/api/v1/groups/{group}/pause", ctx -> result(ctx, w.actions().pause(ctx.pathParam("group"), true)));
    app.post("/api/v1/groups/{group}/resume", ctx -> result(ctx, w.actions().pause(ctx.pathParam("group"), false)));
    app.post("/api/v1/leave", ctx -> result(ctx, w.actions().leave("true".equals(ctx.queryParam("force")))));
    app.post("/api/v1/members/{node}/remove", ctx -> result(ctx, w.actions().removeNode(ctx.pathParam("node"),
        "true".equals(ctx.queryParam("force")))));
    // `tandem backup run` on a node whose agent runs: the agent takes the backup (a warm JVM that records the run like a
    // scheduled one) and the command follows it here.
    app.post("/api/v1/backups/{backup}/run", ctx -> ctx.status(HttpStatus.ACCEPTED).json(w.actions().startBackup(
        ctx.pathParam("backup"), "true".equals(ctx.queryParam("force"))).view()));
    app.get("/api/v1/backups/runs/{id}", ctx -> {
      var run = w.actions().backupRun(ctx.pathParam("id"));
      if (run.isPresent()) {
        // ?wait=10s answers as soon as the run ends, or after that long with its progress.
        String wait = ctx.queryParam("wait");
        if (wait != null) {
          Duration d = Durations.parse(wait);
          run.get().awaitEnd(d.compareTo(Duration.ofSeconds(30)) > 0 ? Duration.ofSeconds(30) : d);
        }
        ctx.json(run.get().view());
      } else {
        ctx.status(HttpStatus.NOT_FOUND).json(Map.of("error", "no backup run " + ctx.pathParam("id") + " on this agent (it keeps"
            + " a run for " + tandem.backup.BackupScheduler.KEPT.toMinutes() + " minutes after it ends, and none across a restart);"
            + " see `tandem events` and `tandem backup list`"));
      }
    });
    app.post("/api/v1/invite", ctx -> {
      String ttl = ctx.queryParam("ttl");
      ctx.json(Map.of("token", w.actions().invite(ttl == null ? Duration.ofHours(1) : Durations.parse(ttl))));
    });
    app.exception(IllegalArgumentException.class, (e, ctx) ->
        ctx.status(HttpStatus.BAD_REQUEST).json(Map.of("error", e.getMessage())));
    app.exception(java.util.concurrent.ExecutionException.class, (e, ctx) -> unavailable(ctx, e.getCause()));
    app.exception(java.util.concurrent.TimeoutException.class, (e, ctx) -> unavailable(ctx, e));
    app.exception(Exception.class, (e, ctx) -> ctx.status(HttpStatus.INTERNAL_SERVER_ERROR).json(Map.of("error",
        "internal error in the agent: " + e + "; please report it as a bug, with `tandem events`")));
  }

  private static void unavailable(Context ctx, Throwable cause) {
    ctx.status(HttpStatus.SERVICE_UNAVAILABLE).json(Map.of("error", "the cluster did not answer in time ("
        + cause + "); is a majority of its nodes running? see `tandem status`"));
  }

  private static void authorize(Context ctx, Wiring w) {
    byte[] want = ("Bearer " + w.token().get()).getBytes(java.nio.charset.StandardCharsets.UTF_8);
    String got = ctx.header("Authorization");
    if (got == null || !java.security.MessageDigest.isEqual(want, got.getBytes(java.nio.charset.StandardCharsets.UTF_8))) {
      ctx.status(HttpStatus.UNAUTHORIZED).json(Map.of("error",
          "this call needs the node's API token: send 'Authorization: Bearer <token>' (the token is in <data-dir>/api.token;"
              + " `tandem` on the node reads it for you)" + (ctx.method() == io.javalin.http.HandlerType.GET
              ? "; to let read-only calls through without it, set api: { open-read: true } in tandem.yaml" : "")));
      ctx.skipRemainingHandlers();
    }
  }

  private static String required(Context ctx, String param) {
    String v = ctx.queryParam(param);
    if (v == null || v.isBlank()) {
      throw new IllegalArgumentException("missing query parameter '" + param + "'");
    }
    return v;
  }

  private static void result(Context ctx, CommandResult r) {
    ctx.status(r.ok() ? HttpStatus.OK : HttpStatus.CONFLICT).json(r);
  }

  private static void answer(Context ctx, boolean yes, String what) {
    ctx.status(yes ? HttpStatus.OK : HttpStatus.SERVICE_UNAVAILABLE).json(Map.of("role", what, "match", yes));
  }

  private static void events(Context ctx, Wiring w) throws InterruptedException {
    long after;
    try {
      after = Long.parseLong(ctx.queryParamAsClass("after", String.class).getOrDefault("0"));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("after must be an event sequence number, e.g. after=42");
    }
    String wait = ctx.queryParam("wait");
    ctx.json(w.events().after(after, wait == null ? Duration.ZERO : Durations.parse(wait)));
  }

  static boolean isPrimary(Wiring w, String group) {
    ClusterState s = w.cluster().state();
    return s.groups().values().stream()
        .filter(g -> group == null || g.name().equals(group))
        .anyMatch(g -> w.self().equals(g.primary()) && running(s, g, w.self()));
  }

  private static boolean running(ClusterState s, GroupState g, String node) {
    NodeReport r = s.report(node, g.name());
    return r != null && r.running() && r.runningEpoch() == g.epoch();
  }

  static boolean isHealthyReplica(Wiring w, String group) {
    ClusterState s = w.cluster().state();
    var mine = s.groups().values().stream()
        .filter(g -> group == null || g.name().equals(group))
        .filter(g -> !"off".equals(g.modeOf(w.self())))
        .toList();
    if (mine.isEmpty() || w.cluster().leader() == null) {
      return false;
    }
    return mine.stream().allMatch(g -> {
      NodeReport r = s.report(w.self(), g.name());
      return !w.self().equals(g.primary()) && r != null && r.passing();
    });
  }

  @Override
  public void close() {
    app.stop();
  }
}
