package tandem.it.harness;

import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * A cluster of real tandem agent processes on 127.0.0.1, each with its own ports and directory,
 * built the way an operator builds one: {@code tandem init} on every node, {@code tandem run} on
 * the first, then {@code tandem invite} there and {@code tandem join} + {@code tandem run} on each
 * other node in turn. The harness kills (-9), stops (SIGSTOP), continues and restarts agents, and
 * on {@link #close()} kills every process it started: agents, their fencing watchdogs and the
 * test service's processes.
 */
public final class TestCluster implements AutoCloseable {
  /** Generous bound for anything that includes starting a JVM on a busy 2-core machine. */
  public static final Duration STARTUP = Duration.ofSeconds(60);
  private static final List<String> CLI_JVM = List.of("-XX:+UseSerialGC", "-Xmx128m", "-XX:TieredStopAtLevel=1");
  private static final String WATCHDOG_MAIN = "tandem.failover.fencing.WatchdogMain";
  private static final Pattern TOKEN = Pattern.compile("token:\\s+(\\S+)");
  private static final ObjectMapper JSON = new ObjectMapper();

  private final Path dir;
  private final String clusterName;
  private final Map<String, Node> nodes = new LinkedHashMap<>();
  private final ServiceLog service;
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
  /** Every process the agents started that may outlive them (watchdogs): killed at close. */
  private final Set<ProcessHandle> owned = new LinkedHashSet<>();
  private final List<Process> cliProcesses = new ArrayList<>();
  private final Placement placement;

  /**
   * Where the nodes live on the network. {@link #LOOPBACK} (the default) puts every node on
   * 127.0.0.1; {@code NetnsNetwork} puts each node in its own network namespace, runs its agent
   * and CLI there, and reaches its API from inside it.
   */
  public interface Placement {
    Placement LOOPBACK = new Placement() {
      @Override
      public String address(String node) {
        return "127.0.0.1";
      }

      @Override
      public List<String> command(String node, List<String> command) {
        return command;
      }
    };

    /** The address the node listens on (agent, Raft and API). */
    String address(String node);

    /** The command line that runs {@code command} where the node lives. */
    List<String> command(String node, List<String> command);

    /** True when the test JVM reaches the node's API directly; else through curl run by {@link #command}. */
    default boolean directHttp() {
      return true;
    }
  }

  /** One node: its name, ports, directory and, while it runs, its agent process. */
  public static final class Node {
    final String name;
    final boolean witness;
    final int listen;
    final int api;
    final Path dir;
    Process agent;
    int starts;
    boolean stopped;

    Node(String name, boolean witness, int listen, int api, Path dir) {
      this.name = name;
      this.witness = witness;
      this.listen = listen;
      this.api = api;
      this.dir = dir;
    }

    public Path dir() {
      return dir;
    }

    /** The directory the test group replicates on this node. */
    public Path files() {
      return dir.resolve("files");
    }

    public Path config() {
      return dir.resolve("tandem.yaml");
    }

    public Path dataDir() {
      return dir.resolve("data");
    }

    public int apiPort() {
      return api;
    }

    public int listenPort() {
      return listen;
    }

    public long pid() {
      return agent.pid();
    }
  }

  /** The result of one CLI run. */
  public record CliResult(int exitCode, String output) {
    @Override
    public String toString() {
      return "exit " + exitCode + ":\n" + output;
    }
  }

  private TestCluster(Path dir, String clusterName, Placement placement) throws IOException {
    this.dir = dir.toAbsolutePath();
    this.clusterName = clusterName;
    this.placement = placement;
    Files.createDirectories(this.dir);
    this.service = new ServiceLog(this.dir);
  }

  /**
   * A cluster in {@code dir} (wiped first) with the given data nodes and an optional witness; no
   * process runs yet.
   */
  public static TestCluster create(Path dir, List<String> dataNodes, String witness) throws IOException {
    return create(dir, dataNodes, witness, Placement.LOOPBACK);
  }

  /** As {@link #create(Path, List, String)}, with the nodes placed on the network by {@code placement}. */
  public static TestCluster create(Path dir, List<String> dataNodes, String witness, Placement placement)
      throws IOException {
    wipe(dir);
    TestCluster c = new TestCluster(dir, "it-" + Long.toString(Math.floorMod(System.nanoTime(), 1_000_000L), 36), placement);
    Set<Integer> taken = new java.util.HashSet<>();
    for (String n : dataNodes) {
      c.addNode(n, false, taken);
    }
    if (witness != null) {
      c.addNode(witness, true, taken);
    }
    return c;
  }

  /**
   * The usual cluster: data nodes n1 (preferred primary) and n2 (passive) running group "web",
   * and, with {@code witness}, the witness n3; every node started, joined and settled.
   */
  public static TestCluster startWeb(Path dir, boolean witness) throws Exception {
    return startWeb(dir, witness, Placement.LOOPBACK);
  }

  /** As {@link #startWeb(Path, boolean)}, with the nodes placed on the network by {@code placement}. */
  public static TestCluster startWeb(Path dir, boolean witness, Placement placement) throws Exception {
    TestCluster c = create(dir, List.of("n1", "n2"), witness ? "n3" : null, placement);
    try {
      c.initAll();
      c.addGroup("web", "n1: primary, n2: passive", "n1", "n2");
      c.startAll();
      c.awaitRunning("web", "n1");
      return c;
    } catch (Throwable t) {
      c.close();
      throw t;
    }
  }

  private void addNode(String name, boolean witness, Set<Integer> taken) {
    int[] ports = freePorts(taken);
    nodes.put(name, new Node(name, witness, ports[0], ports[1], dir.resolve(name)));
  }

  public Node node(String name) {
    Node n = nodes.get(name);
    if (n == null) {
      throw new IllegalArgumentException("no node " + name + " in " + nodes.keySet());
    }
    return n;
  }

  public List<String> names() {
    return List.copyOf(nodes.keySet());
  }

  public ServiceLog service() {
    return service;
  }

  public Path dir() {
    return dir;
  }

  // ---- building ------------------------------------------------------------------------------

  /** Runs `tandem init` on every node (in parallel: each is a JVM). */
  public void initAll() throws Exception {
    List<Thread> threads = new ArrayList<>();
    List<Throwable> errors = java.util.Collections.synchronizedList(new ArrayList<>());
    for (Node n : nodes.values()) {
      threads.add(Thread.ofVirtual().start(() -> {
        try {
          init(n.name);
        } catch (Throwable t) {
          errors.add(t);
        }
      }));
    }
    for (Thread t : threads) {
      t.join();
    }
    if (!errors.isEmpty()) {
      throw new IllegalStateException("tandem init failed", errors.get(0));
    }
  }

  /** `tandem init` for one node into its directory. */
  public void init(String name) throws Exception {
    Node n = node(name);
    Files.createDirectories(n.dir);
    List<String> args = new ArrayList<>(List.of("init", "--cluster", clusterName, "--node", n.name,
        "--listen", placement.address(name) + ":" + n.listen, "--api", placement.address(name) + ":" + n.api));
    if (n.witness) {
      args.add("--witness");
    }
    CliResult r = cli(name, args.toArray(String[]::new));
    if (r.exitCode() != 0) {
      throw new IllegalStateException("tandem init " + name + " failed: " + r);
    }
  }

  /**
   * Appends a groups: section to the configs of {@code onNodes}: a replicated directory (each
   * node's {@link Node#files()}), then the test service.
   */
  public void addGroup(String group, String modes, String... onNodes) throws IOException {
    for (String n : onNodes) {
      String files = "      - files: { path: \"" + node(n).files() + "\", exclude: [\"*.tmp\"] }\n";
      Files.writeString(node(n).config(), service.groupYaml(group, modes, files), StandardOpenOption.APPEND);
    }
  }

  /** Starts the first node, then invites, joins and starts every other node in turn; waits until all agree. */
  public void startAll() throws Exception {
    List<String> all = names();
    startFirst(all.get(0));
    for (String n : all.subList(1, all.size())) {
      joinAndStart(all.get(0), n);
    }
    awaitSettled();
  }

  /** Starts a node that bootstraps a new cluster and waits until it leads it. */
  public void startFirst(String name) throws IOException {
    startAgent(name);
    await("node " + name + " bootstraps the cluster").atMost(STARTUP).ignoreExceptions()
        .until(() -> {
          JsonNode s = status(name);
          return clusterName.equals(s.path("cluster").asText()) && name.equals(s.path("leader").asText(null));
        });
  }

  /** `tandem invite` on {@code inviter}: the token. */
  public String invite(String inviter, String... extra) throws Exception {
    List<String> args = new ArrayList<>(List.of("invite"));
    args.addAll(List.of(extra));
    CliResult r = cli(inviter, args.toArray(String[]::new));
    // Exit 3: the cluster did not answer, e.g. while the leader hands Raft leadership to the
    // node that just joined ("is stepping down"); an operator would run invite again.
    for (int attempt = 1; r.exitCode() == 3 && attempt < 5; attempt++) {
      System.out.println("tandem invite on " + inviter + " (attempt " + attempt + "): " + r + "; trying again");
      r = cli(inviter, args.toArray(String[]::new));
    }
    Matcher m = TOKEN.matcher(r.output());
    if (r.exitCode() != 0 || !m.find()) {
      throw new IllegalStateException("tandem invite on " + inviter + " gave no token: " + r);
    }
    return m.group(1);
  }

  /** `tandem join <inviter's listen> --token T` on {@code name}. */
  public CliResult join(String name, String inviter, String token) throws Exception {
    return cli(name, "join", placement.address(inviter) + ":" + node(inviter).listen, "--token", token);
  }

  /**
   * Invites {@code name} on {@code inviter}, joins it, starts it, and waits until it follows the
   * cluster's leader: only then has the leader added it to the Raft configuration, and the next
   * node may join (Ratis changes voters one at a time).
   */
  public void joinAndStart(String inviter, String name) throws Exception {
    String token = invite(inviter);
    CliResult r = join(name, inviter, token);
    if (r.exitCode() != 0) {
      throw new IllegalStateException("tandem join " + name + " failed: " + r);
    }
    startAgent(name);
    await("node " + name + " follows the cluster's leader").atMost(STARTUP).ignoreExceptions()
        .until(() -> {
          JsonNode s = status(name);
          return clusterName.equals(s.path("cluster").asText()) && !s.path("leader").isNull()
              && memberNames(status(inviter)).contains(name);
        });
  }

  /** Waits until every running node knows every member and a leader, and sees each group with a primary. */
  public void awaitSettled() {
    await("every node sees all members and a leader").atMost(STARTUP).ignoreExceptions().until(() -> {
      for (Node n : nodes.values()) {
        if (n.agent == null || !n.agent.isAlive()) {
          continue;
        }
        JsonNode s = status(n.name);
        if (s.path("leader").isNull() || !memberNames(s).containsAll(runningNames())) {
          return false;
        }
      }
      return true;
    });
  }

  /**
   * Waits until every running node has applied {@code group}'s lease renewals without a gap for
   * {@code during} (its estimate of the primary's lease stays above half of 2 s): Raft reaches
   * every node. A node that joined moments ago can stay unreachable for seconds after its agent
   * started, while the leader's connection to it backs off; a partition made then can leave the
   * primary without a quorum although the third node runs.
   */
  public void awaitRenewalsEverywhere(String group, Duration during) {
    await("every node applies " + group + "'s lease renewals for " + during).during(during).atMost(STARTUP)
        .ignoreExceptions().until(() -> {
          for (String n : runningNames()) {
            JsonNode s = status(n);
            String primary = group(s, group).path("primary").asText();
            String lease = member(s, group, primary).path("lease").asText().replace("~", "").replace("ms", "");
            if (lease.isEmpty() || Long.parseLong(lease) < 1000) {
              return false;
            }
          }
          return true;
        });
  }

  private List<String> runningNames() {
    return nodes.values().stream().filter(n -> n.agent != null && n.agent.isAlive()).map(n -> n.name).toList();
  }

  // ---- processes -----------------------------------------------------------------------------

  /** Variables added to the environment of every agent started from now on (e.g. JAVA_TOOL_OPTIONS). */
  public void agentEnvironment(String name, String value) {
    agentEnvironment.put(name, value);
  }

  private final java.util.Map<String, String> agentEnvironment = new java.util.concurrent.ConcurrentHashMap<>();

  /** Starts `tandem run` for the node and waits until its API answers. */
  public void startAgent(String name) throws IOException {
    Node n = node(name);
    if (n.agent != null && n.agent.isAlive()) {
      throw new IllegalStateException(name + " already runs (pid " + n.agent.pid() + ")");
    }
    List<String> cmd = new ArrayList<>(AgentLaunch.command());
    cmd.addAll(List.of("run", "-c", n.config().toString()));
    n.starts++;
    Path log = agentLog(name);
    Files.writeString(log, "==== start " + n.starts + " at " + Instant.now() + "\n", StandardOpenOption.CREATE,
        StandardOpenOption.APPEND);
    ProcessBuilder pb = new ProcessBuilder(placement.command(name, cmd)).redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
        .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
    pb.environment().putAll(agentEnvironment);
    n.agent = pb.start();
    n.stopped = false;
    Process p = n.agent;
    await("API of " + name + " answers").atMost(STARTUP).ignoreExceptions().until(() -> {
      if (!p.isAlive()) {
        throw new IllegalStateException(name + " exited with " + p.exitValue() + "; log:\n" + tail(log, 40));
      }
      adoptDescendants(n);
      return get(name, "/health") == 200;
    });
    adoptDescendants(n);
  }

  /** kill -9 of the node's agent; returns the moment (wall clock) just before the signal. */
  public Instant kill9(String name) {
    Node n = node(name);
    adoptDescendants(n);
    Instant at = Instant.now();
    n.agent.destroyForcibly();
    try {
      n.agent.waitFor(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return at;
  }

  /** SIGSTOP to the node's agent (the JVM hangs; its watchdog does not). Returns the moment before. */
  public Instant stop(String name) throws Exception {
    Node n = node(name);
    adoptDescendants(n);
    Instant at = Instant.now();
    signal(n.agent.pid(), "STOP");
    n.stopped = true;
    return at;
  }

  /** SIGCONT to the node's agent. */
  public void cont(String name) throws Exception {
    Node n = node(name);
    signal(n.agent.pid(), "CONT");
    n.stopped = false;
  }

  /** SIGTERM: the agent hands its groups over and exits. */
  public int terminate(String name) throws InterruptedException {
    Node n = node(name);
    adoptDescendants(n);
    n.agent.destroy();
    if (!n.agent.waitFor(60, TimeUnit.SECONDS)) {
      throw new IllegalStateException(name + " did not exit within 60s of SIGTERM");
    }
    return n.agent.exitValue();
  }

  /** Starts the node's agent again (after kill9 or terminate), waiting for its API. */
  public void restart(String name) throws IOException {
    startAgent(name);
  }

  public boolean isAlive(String name) {
    Node n = node(name);
    return n.agent != null && n.agent.isAlive();
  }

  private static void signal(long pid, String sig) throws Exception {
    Process p = new ProcessBuilder("kill", "-" + sig, Long.toString(pid)).redirectErrorStream(true).start();
    if (p.waitFor() != 0) {
      throw new IllegalStateException("kill -" + sig + " " + pid + " failed: " + new String(p.getInputStream().readAllBytes()));
    }
  }

  /** Remembers the agent's children (its watchdog), which outlive it when it is killed. */
  private void adoptDescendants(Node n) {
    if (n.agent != null) {
      n.agent.toHandle().descendants().forEach(owned::add);
    }
  }

  /** A JVM whose main class is the fencing watchdog (not, say, a shell whose script mentions it). */
  static boolean isWatchdog(ProcessHandle h) {
    return List.of(commandLine(h).split(" ")).contains(WATCHDOG_MAIN);
  }

  /**
   * The whole command line of a process from /proc (ProcessHandle.Info can come back empty for
   * the very long class paths of these JVMs); "" when it is gone.
   */
  static String commandLine(ProcessHandle h) {
    try {
      byte[] raw = Files.readAllBytes(Path.of("/proc", Long.toString(h.pid()), "cmdline"));
      return h.isAlive() ? new String(raw, StandardCharsets.UTF_8).replace('\0', ' ') : "";
    } catch (IOException e) {
      return "";
    }
  }

  // ---- talking to nodes ----------------------------------------------------------------------

  /** Runs the tandem CLI for {@code name} (adds {@code -c <its tandem.yaml>}); output merged. */
  public CliResult cli(String name, String... args) throws Exception {
    Node n = node(name);
    List<String> cmd = new ArrayList<>();
    cmd.add(java());
    cmd.addAll(CLI_JVM);
    cmd.addAll(List.of("-cp", classPath(), "tandem.cli.Main"));
    cmd.addAll(List.of(args));
    cmd.addAll(List.of("-c", n.config().toString()));
    Process p = new ProcessBuilder(placement.command(name, cmd)).redirectErrorStream(true)
        .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
    synchronized (cliProcesses) {
      cliProcesses.add(p);
    }
    var out = new java.io.ByteArrayOutputStream();
    Thread reader = Thread.ofVirtual().start(() -> {
      try {
        p.getInputStream().transferTo(out);
      } catch (IOException ignored) {
        // process gone
      }
    });
    if (!p.waitFor(150, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new IllegalStateException("tandem " + String.join(" ", args) + " on " + name + " did not finish in 150s");
    }
    reader.join(5000);
    String text = withoutJvmWarnings(out.toString(StandardCharsets.UTF_8));
    return new CliResult(p.exitValue(), text);
  }

  /** Drops the JDK's warnings about Unsafe/native access in the libraries, which say nothing about tandem. */
  private static String withoutJvmWarnings(String s) {
    StringBuilder sb = new StringBuilder();
    for (String line : s.split("\n", -1)) {
      if (!line.startsWith("WARNING: ")) {
        sb.append(line).append('\n');
      }
    }
    return sb.toString().strip();
  }

  /** GET /api/v1/status from the node's API, parsed. Throws when it does not answer in 2 s. */
  public JsonNode status(String name) throws IOException, InterruptedException {
    HttpAnswer r = httpGet(name, "/api/v1/status");
    if (r.code() != 200) {
      throw new IOException("status of " + name + ": HTTP " + r.code() + " " + r.body());
    }
    return JSON.readTree(r.body());
  }

  /** The node's events (GET /api/v1/events), oldest first: objects with seq and event{time, level, kind, node, group, message}. */
  public JsonNode events(String name) throws IOException, InterruptedException {
    HttpAnswer r = httpGet(name, "/api/v1/events?after=0");
    if (r.code() != 200) {
      throw new IOException("events of " + name + ": HTTP " + r.code() + " " + r.body());
    }
    return JSON.readTree(r.body());
  }

  /** True when one of the node's events has that kind and its message contains {@code text}. */
  public boolean hasEvent(String name, String kind, String text) throws IOException, InterruptedException {
    for (JsonNode e : events(name)) {
      JsonNode ev = e.path("event");
      if (ev.path("kind").asText().equals(kind) && ev.path("message").asText().contains(text)) {
        return true;
      }
    }
    return false;
  }

  /** GET /metrics from the node's API: the Prometheus text. */
  public String metrics(String name) throws IOException, InterruptedException {
    HttpAnswer r = httpGet(name, "/metrics");
    if (r.code() != 200) {
      throw new IOException("metrics of " + name + ": HTTP " + r.code() + " " + r.body());
    }
    return r.body();
  }

  /** HTTP status code of GET {@code path} on the node's API (e.g. /primary?group=web). */
  public int get(String name, String path) throws IOException, InterruptedException {
    return httpGet(name, path).code();
  }

  private URI api(String name, String path) {
    return URI.create("http://" + placement.address(name) + ":" + node(name).api + path);
  }

  private record HttpAnswer(int code, String body) {}

  /** GET from the node's API within 2 s: directly, or with curl run where the node lives. */
  private HttpAnswer httpGet(String name, String path) throws IOException, InterruptedException {
    // Read-only calls need the node's API token unless its tandem.yaml sets api.open-read.
    Path tokenFile = node(name).dataDir().resolve("api.token");
    String bearer = "Bearer " + (Files.exists(tokenFile) ? Files.readString(tokenFile).strip() : "");
    if (placement.directHttp()) {
      HttpResponse<String> r = http.send(HttpRequest.newBuilder(api(name, path)).header("Authorization", bearer)
          .timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.ofString());
      return new HttpAnswer(r.statusCode(), r.body());
    }
    Process p = new ProcessBuilder(placement.command(name, List.of("curl", "-sS", "--max-time", "2", "-w", "\n%{http_code}",
        "-H", "Authorization: " + bearer, api(name, path).toString()))).redirectError(ProcessBuilder.Redirect.DISCARD).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(5, TimeUnit.SECONDS) || p.exitValue() != 0) {
      p.destroyForcibly();
      throw new IOException("GET " + path + " on " + name + " through curl failed (exit " + (p.isAlive() ? "-" : p.exitValue())
          + ")");
    }
    int nl = out.lastIndexOf('\n');
    return new HttpAnswer(Integer.parseInt(out.substring(nl + 1).strip()), out.substring(0, Math.max(nl, 0)));
  }

  public static List<String> memberNames(JsonNode status) {
    List<String> out = new ArrayList<>();
    status.path("nodes").forEach(n -> out.add(n.path("name").asText()));
    return out;
  }

  public static List<String> memberIds(JsonNode status) {
    List<String> out = new ArrayList<>();
    status.path("nodes").forEach(n -> out.add(n.path("id").asText()));
    return out;
  }

  /** The group's entry in a status, or a missing node. */
  public static JsonNode group(JsonNode status, String group) {
    for (JsonNode g : status.path("groups")) {
      if (g.path("group").asText().equals(group)) {
        return g;
      }
    }
    return com.fasterxml.jackson.databind.node.MissingNode.getInstance();
  }

  /** A node's row in a group's entry, or a missing node. */
  public static JsonNode member(JsonNode status, String group, String node) {
    for (JsonNode m : group(status, group).path("members")) {
      if (m.path("node").asText().equals(node)) {
        return m;
      }
    }
    return com.fasterxml.jackson.databind.node.MissingNode.getInstance();
  }

  /** The group's primary as {@code viewer} sees it, or null. */
  public String primaryOf(String group, String viewer) throws IOException, InterruptedException {
    return group(status(viewer), group).path("primary").asText(null);
  }

  /** True when {@code viewer} sees {@code node} as the group's primary with state "running". */
  public boolean runsOn(String group, String node, String viewer) throws IOException, InterruptedException {
    JsonNode s = status(viewer);
    return node.equals(group(s, group).path("primary").asText(null))
        && "running".equals(member(s, group, node).path("state").asText());
  }

  /**
   * Waits until {@code node} runs the group, as seen by {@code node} itself and by the cluster's
   * leader, and its service process is alive.
   */
  public void awaitRunning(String group, String node) {
    await(group + " runs on " + node).atMost(STARTUP).ignoreExceptions()
        .until(() -> runsOn(group, node, node) && service.isRunning(node));
  }

  /** Waits until {@code viewer}'s status satisfies the predicate; returns that status. */
  public JsonNode awaitStatus(String viewer, String what, Duration atMost, Predicate<JsonNode> p) {
    JsonNode[] last = new JsonNode[1];
    await(what + " (seen by " + viewer + ")").atMost(atMost).ignoreExceptions().until(() -> {
      last[0] = status(viewer);
      return p.test(last[0]);
    });
    return last[0];
  }

  /** Waits until the group's primary, as {@code viewer} sees it, satisfies the predicate; returns it. */
  public String awaitPrimary(String group, String viewer, Duration atMost, Predicate<String> p) {
    JsonNode s = awaitStatus(viewer, "primary of " + group, atMost, st -> p.test(group(st, group).path("primary").asText(null)));
    return group(s, group).path("primary").asText(null);
  }

  // ---- the shared web cluster's roles and healing ------------------------------------------

  /** Who does what for a group of two data nodes and a witness. */
  public record Roles(String primary, String standby, String witness) {}

  /** The group's current primary and standby, as the witness (or else any live node) sees them. */
  public Roles roles(String group) throws IOException, InterruptedException {
    String witness = nodes.values().stream().filter(n -> n.witness).map(n -> n.name).findFirst().orElse(null);
    String viewer = witness != null && isAlive(witness) ? witness : runningNames().get(0);
    String primary = primaryOf(group, viewer);
    String standby = nodes.values().stream().filter(n -> !n.witness && !n.name.equals(primary)).map(n -> n.name)
        .findFirst().orElse(null);
    return new Roles(primary, standby, witness);
  }

  /** The node's current fencing watchdog (a child of its running agent), if any. */
  public java.util.Optional<ProcessHandle> watchdogOf(String name) {
    Node n = node(name);
    if (n.agent == null || !n.agent.isAlive()) {
      return java.util.Optional.empty();
    }
    return n.agent.toHandle().children()
        .filter(TestCluster::isWatchdog)
        .findFirst();
  }

  /**
   * Brings the cluster back to its normal state after a test: every agent runs (stopped ones are
   * continued, dead ones restarted, and a data node whose watchdog died is restarted too), every
   * node follows a leader, the group is not paused, runs on exactly one node, and the standby has
   * reported (so it can be promoted).
   */
  public Roles heal(String group) throws Exception {
    for (Node n : nodes.values()) {
      if (n.stopped && n.agent != null && n.agent.isAlive()) {
        cont(n.name);
      }
      boolean watchdogGone = !n.witness && n.agent != null && n.agent.isAlive() && watchdogOf(n.name).isEmpty();
      if (watchdogGone) {
        System.out.println("heal: the watchdog of " + n.name + " is gone; restarting " + n.name);
        terminate(n.name);
      }
      if (n.agent == null || !n.agent.isAlive()) {
        startAgent(n.name);
      }
    }
    awaitSettled();
    String first = names().get(0);
    if (group(status(first), group).path("paused").asBoolean()) {
      CliResult r = cli(first, "resume", group);
      if (r.exitCode() != 0) {
        throw new IllegalStateException("heal: resume " + group + " failed: " + r);
      }
    }
    int[] lines = {service.size()};
    await("heal: " + group + " runs on exactly one node, the standby has reported, and the service log is quiet")
        .atMost(STARTUP).during(Duration.ofSeconds(1)).ignoreExceptions()
        .until(() -> {
          if (service.size() != lines[0]) {
            lines[0] = service.size();
            return false;
          }
          Roles r = roles(group);
          if (r.primary() == null) {
            return false;
          }
          for (Node n : nodes.values()) {
            JsonNode s = status(n.name);
            JsonNode g = group(s, group);
            if (!r.primary().equals(g.path("primary").asText()) || g.path("paused").asBoolean()
                || !"running".equals(member(s, group, r.primary()).path("state").asText())
                || !"stopped".equals(member(s, group, r.standby()).path("state").asText())) {
              return false;
            }
          }
          return service.isRunning(r.primary()) && !service.isRunning(r.standby());
        });
    return roles(group);
  }

  /** Writes a marker line into every agent log, to find a test's part in a shared cluster's logs. */
  public void mark(String text) {
    for (Node n : nodes.values()) {
      try {
        Files.writeString(agentLog(n.name), "==== " + text + " at " + Instant.now() + "\n", StandardOpenOption.CREATE,
            StandardOpenOption.APPEND);
      } catch (IOException e) {
        System.err.println("cannot mark " + agentLog(n.name) + ": " + e);
      }
    }
  }

  // ---- logs ----------------------------------------------------------------------------------

  public Path agentLog(String name) {
    return node(name).dir.resolve("agent.log");
  }

  /** The node's agent output so far (every start), without the JDK's library warnings. */
  public String log(String name) {
    try {
      Path f = agentLog(name);
      return Files.exists(f) ? withoutJvmWarnings(Files.readString(f)) : "";
    } catch (IOException e) {
      return "(cannot read: " + e + ")";
    }
  }

  /** The last lines of the node's agent output. */
  public String tailLog(String name, int lines) {
    return tail(agentLog(name), lines);
  }

  private static String tail(Path f, int lines) {
    try {
      List<String> all = Files.exists(f) ? Files.readAllLines(f) : List.of();
      all = all.stream().filter(l -> !l.startsWith("WARNING: ")).toList();
      return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
    } catch (IOException e) {
      return "(cannot read " + f + ": " + e + ")";
    }
  }

  /** A digest of every node's last log lines and the service log, for failure messages. */
  public String describe() {
    StringBuilder sb = new StringBuilder("cluster in ").append(dir).append('\n');
    for (Node n : nodes.values()) {
      sb.append("---- ").append(n.name).append(n.agent == null ? " (never started)" : n.agent.isAlive() ? " (running)" : " (dead)")
          .append('\n').append(tail(agentLog(n.name), 15)).append('\n');
    }
    sb.append("---- service log\n").append(ServiceLog.render(service.entries()));
    for (Node n : nodes.values()) {
      if (log(n.name).contains("watchdog-down")) {
        sb.append("NOTE: ").append(n.name).append("'s agent reported its fencing watchdog dead (watchdog-down in its log);"
            + " its exit code there says how: 143 = SIGTERM (not sent by this harness), 137 = SIGKILL\n");
      }
    }
    return sb.toString();
  }

  // ---- teardown ------------------------------------------------------------------------------

  /**
   * Kills everything this cluster started: agents (SIGCONT first, then -9), their watchdogs and
   * the test service's processes. Only processes started here, tracked by handle.
   */
  @Override
  public void close() {
    for (Node n : nodes.values()) {
      adoptDescendants(n);
    }
    for (Node n : nodes.values()) {
      if (n.agent != null && n.agent.isAlive()) {
        n.agent.destroyForcibly();
      }
    }
    for (Node n : nodes.values()) {
      if (n.agent != null) {
        try {
          n.agent.waitFor(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
    }
    owned.stream().filter(ProcessHandle::isAlive).forEach(ProcessHandle::destroyForcibly);
    synchronized (cliProcesses) {
      cliProcesses.stream().filter(Process::isAlive).forEach(Process::destroyForcibly);
    }
    service.killAll();
  }

  // ---- helpers -------------------------------------------------------------------------------

  private static String java() {
    return Path.of(System.getProperty("java.home"), "bin", "java").toString();
  }

  /** The test JVM's class path, which holds every module; Surefire may hide it behind a manifest-only jar. */
  static String classPath() {
    String cp = System.getProperty("surefire.test.class.path");
    return cp != null && !cp.isBlank() ? cp : System.getProperty("java.class.path");
  }

  /** A listen port P whose P+1 (Raft) is free too, and an API port, none in {@code taken}. */
  private static int[] freePorts(Set<Integer> taken) {
    for (int attempt = 0; attempt < 1000; attempt++) {
      int p = Ports.random();
      int q = Ports.random();
      if (q == p || q == p + 1) {
        continue; // Set.of would throw on the duplicate (CI once drew q == p + 1)
      }
      Set<Integer> want = Set.of(p, p + 1, q);
      if (want.stream().anyMatch(taken::contains)) {
        continue;
      }
      if (want.stream().allMatch(port -> Ports.bindable("127.0.0.1", port))) {
        taken.addAll(want);
        return new int[] {p, q};
      }
    }
    throw new IllegalStateException("no free ports found on 127.0.0.1");
  }

  private static void wipe(Path dir) throws IOException {
    if (Files.exists(dir)) {
      try (Stream<Path> s = Files.walk(dir)) {
        for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
          Files.delete(p);
        }
      }
    }
  }

  /** A per-test directory under target/it-runs, kept after the run for reading the logs. */
  public static Path runDir(Class<?> testClass, String name) {
    String safe = name.replaceAll("[^A-Za-z0-9_.-]+", "_");
    return Path.of("target", "it-runs", testClass.getSimpleName(), safe).toAbsolutePath();
  }
}
