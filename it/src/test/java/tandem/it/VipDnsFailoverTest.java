package tandem.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.Timeout;
import tandem.it.harness.NetnsNetwork;
import tandem.it.harness.TestCluster;

/**
 * The floating IP and the DNS responder across a kill -9 of the primary, with real agents each in
 * its own network namespace (data nodes n1, n2 and the witness n3) and a client in a fourth, all on
 * one bridge. Group "web" holds only {@code vip: 10.216.0.100/24 on eth0}; each data node runs a
 * tiny HTTP backend on port 8080 that answers its own name, so the client sees who holds the VIP.
 * Every node runs {@code dns:} for zone ha.test on port 53 of its own namespace.
 */
// One cluster of three agents in namespaces: about a minute on a quiet 2-core machine.
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class VipDnsFailoverTest {
  private static final String SUBNET = "10.216.0.";
  private static final String VIP = SUBNET + "100";
  private static final Duration FAILOVER = Duration.ofSeconds(30);
  private static final String BACKEND = """
      import http.server, sys
      class H(http.server.BaseHTTPRequestHandler):
          def do_GET(self):
              b = sys.argv[1].encode()
              self.send_response(200); self.send_header("Content-Length", str(len(b))); self.end_headers()
              self.wfile.write(b)
          def log_message(self, *a):
              pass
      http.server.ThreadingHTTPServer(("0.0.0.0", 8080), H).serve_forever()
      """;

  private NetnsNetwork net;
  private TestCluster c;
  private final List<Process> processes = new ArrayList<>();

  @AfterEach
  void tearDown() {
    try {
      processes.forEach(p -> {
        p.descendants().forEach(ProcessHandle::destroyForcibly);
        p.destroyForcibly();
      });
      if (c != null) {
        System.out.println(c.describe());
        c.close();
      }
    } finally {
      if (net != null) {
        net.close();
      }
    }
  }

  @Test
  void primaryKilled_vipMovesToTheNewPrimary_neverHeldTwice_andDnsAnswersFollow(TestInfo info) throws Exception {
    net = NetnsNetwork.create(List.of("n1", "n2", "n3", "client"), "tdv", SUBNET);
    Path dir = TestCluster.runDir(VipDnsFailoverTest.class, info.getTestMethod().orElseThrow().getName());
    c = TestCluster.create(dir, List.of("n1", "n2"), "n3", net);
    c.initAll();
    for (String n : List.of("n1", "n2", "n3")) {
      append(n, "\ndns: { listen: \"0.0.0.0:53\", zone: ha.test, ttl: 1s }\n");
    }
    for (String n : List.of("n1", "n2")) {
      append(n, "\ngroups:\n  web:\n    nodes: { n1: primary, n2: passive }\n    resources:\n"
          + "      - vip: { address: " + VIP + "/24, interface: eth0 }\n");
      Path script = dir.resolve("backend.py");
      Files.writeString(script, BACKEND);
      processes.add(new ProcessBuilder(net.command(n, List.of("python3", script.toString(), n)))
          .redirectErrorStream(true).redirectOutput(dir.resolve("backend-" + n + ".log").toFile()).start());
    }
    c.startAll();
    await("n1 runs web").atMost(TestCluster.STARTUP).ignoreExceptions().until(() -> c.runsOn("web", "n1", "n1"));
    await("n1 holds the VIP").atMost(FAILOVER).until(() -> holds("n1"));
    assertThat(holds("n2")).isFalse();

    assertThat(dig("n3", "web.ha.test")).as("the witness answers with the primary's address")
        .isEqualTo(new Dig("NOERROR", List.of(SUBNET + "1")));
    assertThat(dig("n2", "nosuchgroup.ha.test").status()).isEqualTo("NXDOMAIN");
    assertThat(dig("n1", "www.example.org").status()).isEqualTo("REFUSED");

    Path seen = dir.resolve("client.log");
    processes.add(new ProcessBuilder(net.command("client", List.of("sh", "-c",
        "while :; do r=$(curl -s -m 0.3 http://" + VIP + ":8080/ || echo -); echo \"$(date +%s%N) $r\"; done")))
        .redirectErrorStream(true).redirectOutput(seen.toFile()).start());
    await("the client reaches n1 through the VIP").atMost(FAILOVER).until(() -> answers(seen).contains("n1"));

    AtomicBoolean sampling = new AtomicBoolean(true);
    AtomicInteger samples = new AtomicInteger();
    List<String> both = new ArrayList<>();
    StringBuilder holders = new StringBuilder();
    Thread sampler = Thread.ofPlatform().start(() -> {
      String last = "";
      while (sampling.get()) {
        try {
          boolean h1 = holds("n1");
          boolean h2 = holds("n2");
          samples.incrementAndGet();
          String now = h1 && h2 ? "both" : h1 ? "n1" : h2 ? "n2" : "none";
          if (h1 && h2) {
            both.add(System.nanoTime() + "");
          }
          if (!now.equals(last)) {
            holders.append(holders.isEmpty() ? "" : " -> ").append(now);
            last = now;
          }
        } catch (IOException | InterruptedException e) {
          return;
        }
      }
    });

    long killedAt = System.currentTimeMillis() * 1_000_000;
    c.kill9("n1");
    await("the client reaches n2 through the VIP").atMost(FAILOVER).until(() -> answers(seen).contains("n2"));
    await("the client keeps reaching n2").atMost(FAILOVER).until(() -> tail(answers(seen), 5).equals(List.of("n2", "n2",
        "n2", "n2", "n2")));
    sampling.set(false);
    sampler.join();

    System.out.printf("MEASURED VIP holders while sampled %d times: %s; client gap %d ms%n", samples.get(), holders,
        gapMillis(seen, killedAt));
    assertThat(both).as("samples where n1 and n2 both held " + VIP + " (of " + samples.get() + ")").isEmpty();
    assertThat(holders.toString()).as("the VIP went from n1 to n2").startsWith("n1").endsWith("n2");
    assertThat(samples.get()).as("samples taken").isGreaterThan(20);
    List<String> after = answers(seen);
    assertThat(after.subList(after.indexOf("n2"), after.size())).as("after n2 answered, only n2 (or a miss)")
        .doesNotContain("n1");
    assertThat(c.isAlive("n1")).as("n1's agent is dead: its watchdog removed the VIP").isFalse();

    await("DNS follows the new primary").atMost(FAILOVER).ignoreExceptions()
        .until(() -> dig("n3", "web.ha.test").equals(new Dig("NOERROR", List.of(SUBNET + "2"))));
    assertThat(dig("n2", "web.ha.test")).isEqualTo(new Dig("NOERROR", List.of(SUBNET + "2")));

    // n1 is gone, so n2 cut off from the witness has no quorum: its lease lapses and it must drop the VIP itself.
    net.isolate("n2");
    await("n2, isolated without a quorum, removes the VIP").atMost(FAILOVER).until(() -> !holds("n2"));
    assertThat(c.isAlive("n2")).as("n2's agent still runs: it fenced itself").isTrue();
  }

  private void append(String node, String yaml) throws IOException {
    Files.writeString(c.node(node).config(), yaml, StandardOpenOption.APPEND);
  }

  /** True when the node's eth0 carries the VIP now. */
  private boolean holds(String node) throws IOException, InterruptedException {
    return !run(List.of("ip", "-n", net.ns(node), "-o", "addr", "show", "dev", "eth0", "to", VIP + "/32")).isBlank();
  }

  private record Dig(String status, List<String> answers) {}

  /** dig from the client's namespace to {@code server}'s responder. */
  private Dig dig(String server, String name) throws IOException, InterruptedException {
    String out = run(net.command("client", List.of("dig", "+time=2", "+tries=2", "+noall", "+comments", "+answer",
        "@" + net.address(server), name, "A")));
    Matcher m = Pattern.compile("status: (\\w+)").matcher(out);
    assertThat(m.find()).as("dig output:%n%s", out).isTrue();
    List<String> answers = out.lines().filter(l -> !l.startsWith(";") && !l.isBlank())
        .map(l -> l.split("\\s+")).filter(f -> f.length >= 5 && f[3].equals("A")).map(f -> f[4]).toList();
    return new Dig(m.group(1), answers);
  }

  /** What the client got, in order: a node name or "-" for a failed fetch. */
  private static List<String> answers(Path seen) throws IOException {
    return Files.readAllLines(seen, StandardCharsets.UTF_8).stream().map(l -> l.split(" ", 2))
        .filter(f -> f.length == 2).map(f -> f[1].strip()).toList();
  }

  private static List<String> tail(List<String> l, int n) {
    return l.size() < n ? l : l.subList(l.size() - n, l.size());
  }

  /** From the last answer of n1 to the first of n2, as the client saw it. */
  private static long gapMillis(Path seen, long afterNanos) throws IOException {
    long lastN1 = 0;
    long firstN2 = 0;
    for (String line : Files.readAllLines(seen, StandardCharsets.UTF_8)) {
      String[] f = line.split(" ", 2);
      if (f.length == 2 && f[0].matches("\\d+")) {
        long t = Long.parseLong(f[0]);
        if (f[1].strip().equals("n1")) {
          lastN1 = t;
        } else if (f[1].strip().equals("n2") && firstN2 == 0) {
          firstN2 = t;
        }
      }
    }
    return (firstN2 - Math.max(lastN1, 0)) / 1_000_000;
  }

  private static String run(List<String> cmd) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    p.waitFor(10, TimeUnit.SECONDS);
    return out;
  }
}
