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
 * group move. Every step is a real `tandem` command, as a user would type it.
 */
public final class DemoCluster implements AutoCloseable {
  private static final Pattern TOKEN = Pattern.compile("token:\\s+(\\S+)");

  private final Path dir;
  private final List<String> tandem;
  private final List<String> agent;
  private final PrintStream out;
  private final List<Process> agents = new ArrayList<>();

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
      tandem(n, "init", "--cluster", "demo", "--node", n.name(), "--listen", "127.0.0.1:" + n.listen(),
          "--api", "127.0.0.1:" + n.api());
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
  public void printGuide() {
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
    out.println("  kill -9 <pid of the primary>                           # watch web move to the other node");
    out.println("  " + cli + " switchover web --to n1 -c " + config(NODES.get(1)) + "   # planned move back");
    out.println("  " + cli + " events -c " + config(NODES.get(1)) + " --follow   # what happened, and why");
    out.println();
    out.println("Ctrl-C stops the demo.");
  }

  /** Waits until the first agent exits or the thread is interrupted. */
  public void awaitExit() throws InterruptedException {
    agents.get(0).waitFor();
  }

  private Path config(Node n) {
    return dir.resolve(n.name()).resolve("tandem.yaml");
  }

  private void startAgent(Node n) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>(agent);
    cmd.addAll(List.of("run", "--config", config(n).toString()));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true)
        .redirectOutput(dir.resolve(n.name()).resolve("agent.log").toFile()).start();
    agents.add(p);
    waitHealthy(n, p);
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
