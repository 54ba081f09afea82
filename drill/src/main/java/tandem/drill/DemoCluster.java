package tandem.drill;

import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * `tandem demo`: a local cluster of two data nodes and a witness on 127.0.0.1, with a small
 * service group that writes "served by nX" lines, so a user can kill the primary and watch the
 * group move. Every step is a real `tandem` command, as a user would type it. An agent that exits
 * while the demo runs is started again after {@link #RESTART_DELAY}, as the systemd unit's
 * {@code Restart=on-failure} would, so a killed primary comes back and rejoins as a replica.
 */
public final class DemoCluster implements AutoCloseable {
  private static final Pattern TOKEN = Pattern.compile("token:\\s+(\\S+)");

  private final Path dir;
  private final List<String> tandem;
  private final List<String> agent;
  private final PrintStream out;
  /** The running agent of each node, in {@link #NODES} order; guarded by {@code this}. */
  private final List<Process> agents = new ArrayList<>();
  /** Set by {@link #close}: no agent is started any more. Guarded by {@code this}. */
  private boolean closing;
  /** How long the demo waits before it starts an agent that exited (dist/tandem.service: RestartSec=2). */
  static final Duration RESTART_DELAY = Duration.ofSeconds(2);

  /**
   * @param dir where the nodes live (wiped first)
   * @param tandem the command that runs tandem's short commands (e.g. java -cp ... tandem.cli.Main)
   * @param agent the command that runs {@code tandem run}: the same with the agent's JVM options
   */
  public DemoCluster(Path dir, List<String> tandem, List<String> agent, PrintStream out) {
    this.dir = dir.toAbsolutePath();
    this.tandem = List.copyOf(tandem);
    this.agent = List.copyOf(agent);
    this.out = out;
  }

  /** The nodes of the demo: name, transport port, API port, witness. */
  record Node(String name, int listen, int api, boolean witness) {}

  static final List<Node> NODES = List.of(new Node("n1", 17410, 18410, false), new Node("n2", 17420, 18420, false),
      new Node("n3", 17430, 18430, true));

  /** Creates, starts and joins the three nodes. */
  public void start() throws IOException, InterruptedException {
    wipe();
    for (Node n : NODES) {
      List<String> init = new ArrayList<>(List.of("init", "--cluster", "demo", "--node", n.name(),
          "--listen", "127.0.0.1:" + n.listen(), "--api", "127.0.0.1:" + n.api()));
      if (n.witness()) {
        init.add("--witness");
      }
      tandem(n, init.toArray(String[]::new));
      if (!n.witness()) {
        Files.writeString(config(n), groups(n), StandardOpenOption.APPEND);
      }
    }
    Node first = NODES.get(0);
    startAgent(first);
    for (Node n : NODES.subList(1, NODES.size())) {
      String invite = tandem(first, "invite");
      Matcher m = TOKEN.matcher(invite);
      if (!m.find()) {
        throw new IOException("no token in `tandem invite` output: " + invite);
      }
      tandem(n, "join", "127.0.0.1:" + first.listen(), "--token", m.group(1));
      startAgent(n);
    }
  }

  /** The directory node {@code n} replicates for group web. */
  Path files(Node n) {
    return dir.resolve(n.name()).resolve("www");
  }

  private String groups(Node n) {
    Path log = dir.resolve("web.log");
    String start = "nohup sh -c 'while true; do echo \"$(date +%T) served by $TANDEM_NODE (epoch $TANDEM_EPOCH)\" >> " + log
        + "; sleep 0.5; done' >/dev/null 2>&1 & echo $! > " + dir + "/web-$TANDEM_NODE.pid";
    String stop = "kill $(cat " + dir + "/web-$TANDEM_NODE.pid 2>/dev/null) 2>/dev/null; rm -f " + dir + "/web-$TANDEM_NODE.pid; true";
    return "\ngroups:\n  web:\n    nodes: { n1: primary, n2: passive }\n    resources:\n"
        + "      - files: { path: " + yaml(files(n).toString()) + ", versions: { keep: 1d } }\n      - service:\n"
        + "          start: " + yaml(start) + "\n          stop: " + yaml(stop) + "\n";
  }

  private static String yaml(String s) {
    return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
  }

  /** Prints what to try. */
  public synchronized void printGuide() {
    String cli = "./tandem";
    out.println();
    out.println("tandem demo: 3 nodes on 127.0.0.1 in " + dir);
    for (int i = 0; i < NODES.size(); i++) {
      Node n = NODES.get(i);
      out.printf("  %s %-8s pid %-7d api http://127.0.0.1:%d  config %s%n", n.name(), n.witness() ? "witness" : "data",
          agents.get(i).pid(), n.api(), config(n));
    }
    out.println();
    out.println("Try, in another terminal:");
    out.println("  " + cli + " status -c " + config(NODES.get(0)) + "     # who is primary, epoch, lease, health");
    out.println("  tail -f " + dir.resolve("web.log") + "                  # the demo service says where it runs");
    out.println("  echo hello > " + files(NODES.get(0)) + "/index.html   # appears in " + files(NODES.get(1)));
    out.println("  " + cli + " sync status -c " + config(NODES.get(0)) + "   # each replica: in sync, behind, rate");
    out.println("  kill -9 <pid of the primary>                           # watch web move to the other node;");
    out.println("                                                         # the demo starts the killed agent again "
        + RESTART_DELAY.toSeconds() + " s later (as systemd would) and it rejoins as a replica");
    out.println("  " + cli + " switchover web --to n1 -c " + config(NODES.get(1)) + "   # planned move back");
    out.println("  " + cli + " events -c " + config(NODES.get(1)) + " --follow   # what happened, and why");
    out.println();
    out.println("Ctrl-C stops the demo.");
  }

  /**
   * Runs until the thread is interrupted or {@link #close} is called: an agent that exits (killed by
   * the user, or crashed) is reported and started again after {@link #RESTART_DELAY}.
   */
  public void supervise() throws InterruptedException {
    while (true) {
      List<java.util.concurrent.CompletableFuture<Process>> exits;
      synchronized (this) {
        if (closing) {
          return;
        }
        exits = agents.stream().map(Process::onExit).toList();
      }
      try {
        java.util.concurrent.CompletableFuture.anyOf(exits.toArray(java.util.concurrent.CompletableFuture[]::new)).get();
      } catch (java.util.concurrent.ExecutionException e) {
        throw new IllegalStateException("waiting for the demo's agents failed", e);
      }
      for (int i = 0; i < NODES.size(); i++) {
        Process p;
        synchronized (this) {
          if (closing) {
            return;
          }
          p = agents.get(i);
        }
        if (!p.isAlive()) {
          restart(NODES.get(i), p);
        }
      }
    }
  }

  /** Starts node {@code n}'s agent again after {@code exited} ended; reports what happened. */
  private void restart(Node n, Process exited) throws InterruptedException {
    out.printf("%s (pid %d) exited with code %d; starting it again in %d s, as systemd would%n", n.name(), exited.pid(),
        exited.exitValue(), RESTART_DELAY.toSeconds());
    Thread.sleep(RESTART_DELAY.toMillis()); // the restart delay itself, not a wait for a condition
    try {
      Process p;
      synchronized (this) {
        if (closing) {
          return;
        }
        p = launch(n);
        agents.set(NODES.indexOf(n), p);
      }
      waitHealthy(n, p);
      out.printf("%s is running again: pid %d%n", n.name(), p.pid());
    } catch (IOException e) {
      out.printf("%s did not start again: %s%n", n.name(), e.getMessage());
    }
  }

  private Path config(Node n) {
    return dir.resolve(n.name()).resolve("tandem.yaml");
  }

  private void startAgent(Node n) throws IOException, InterruptedException {
    Process p;
    synchronized (this) {
      p = launch(n);
      agents.add(p);
    }
    waitHealthy(n, p);
  }

  /** Starts node {@code n}'s agent, appending to its agent.log. */
  private Process launch(Node n) throws IOException {
    List<String> cmd = new ArrayList<>(agent);
    cmd.addAll(List.of("run", "--config", config(n).toString()));
    return new ProcessBuilder(cmd).redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve(n.name()).resolve("agent.log").toFile())).start();
  }

  private void waitHealthy(Node n, Process p) throws IOException, InterruptedException {
    HttpClient http = HttpClient.newHttpClient();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (System.nanoTime() - deadline < 0) {
      if (!p.isAlive()) {
        throw new IOException(n.name() + " exited; see " + dir.resolve(n.name()).resolve("agent.log"));
      }
      try {
        var r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + n.api() + "/health"))
            .timeout(Duration.ofSeconds(1)).build(), HttpResponse.BodyHandlers.discarding());
        if (r.statusCode() == 200) {
          return;
        }
      } catch (IOException e) {
        // not listening yet
      }
      Thread.sleep(100); // polling a process we started until it listens
    }
    throw new IOException(n.name() + " did not answer on its API within 60s; see its agent.log");
  }

  private String tandem(Node n, String... args) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>(tandem);
    cmd.addAll(List.of(args));
    cmd.addAll(List.of("--config", config(n).toString()));
    Files.createDirectories(config(n).getParent());
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String text = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (p.waitFor() != 0) {
      throw new IOException("`tandem " + String.join(" ", args) + "` failed for " + n.name() + ": " + text);
    }
    return text;
  }

  private void wipe() throws IOException {
    if (Files.exists(dir)) {
      try (var s = Files.walk(dir)) {
        for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
          Files.delete(p);
        }
      }
    }
    Files.createDirectories(dir);
  }

  /** Stops the agents (SIGTERM: each hands over and stops its service), newest first. */
  @Override
  public void close() throws InterruptedException {
    List<Process> agents;
    synchronized (this) {
      closing = true;
      agents = List.copyOf(this.agents);
    }
    for (Process p : agents.reversed()) {
      p.destroy();
    }
    for (Process p : agents) {
      if (!p.waitFor(30, TimeUnit.SECONDS)) {
        p.destroyForcibly();
      }
    }
  }
}
