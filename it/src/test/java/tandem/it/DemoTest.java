package tandem.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * `tandem demo` as a user runs it: three agents come up (n3 a witness), the demo service runs, the
 * guide's kill -9 of the primary moves the service and the demo starts the killed agent again, Ctrl-C
 * stops everything.
 */
class DemoTest {
  @TempDir Path dir;
  private Process demo;
  private final List<ProcessHandle> started = new ArrayList<>();

  @Test
  void demo_startsThreeNodesAndTheService_andStopsEverythingOnSigterm() throws Exception {
    Path data = dir.resolve("demo-data");
    String javaBin = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    var pb = new ProcessBuilder(javaBin, "-cp", System.getProperty("java.class.path"), "tandem.cli.Main", "demo",
        "--dir", data.toString())
        .redirectErrorStream(true).redirectOutput(dir.resolve("demo.out").toFile());
    // What the ./tandem launcher passes: the agent's JVM options, one per line.
    pb.environment().put("TANDEM_AGENT_JVM_OPTS", "-Xmx300m\n-Dtandem.demo.agent=yes\n");
    demo = pb.start();

    await().atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofMillis(200))
        .until(() -> Files.readString(dir.resolve("demo.out")).contains("Ctrl-C stops the demo"));
    await().atMost(Duration.ofMinutes(1)).pollInterval(Duration.ofMillis(200))
        .until(() -> servedBy(data).contains("served by n1"));
    started.addAll(demo.descendants().toList());
    List<List<String>> agents = new ArrayList<>();
    for (ProcessHandle h : started) { // ProcessHandle.Info drops command lines as long as these class paths
      List<String> args = List.of(Files.readString(Path.of("/proc", Long.toString(h.pid()), "cmdline")).split("\0"));
      if (args.contains("tandem.cli.Main") && args.contains("run")) {
        agents.add(args);
      }
    }
    assertThat(agents).as("the demo's three agents").hasSize(3)
        .allSatisfy(args -> assertThat(args).as("an agent's JVM options, before its class path")
            .containsSubsequence("-Xmx300m", "-Dtandem.demo.agent=yes", "-cp", "tandem.cli.Main", "run"));
    assertThat(Files.readString(dir.resolve("demo.out")))
        .contains("tandem demo: 3 nodes on 127.0.0.1")
        .contains("kill -9 <pid of the primary>");
    for (int api : new int[] {18410, 18420, 18430}) {
      var r = java.net.http.HttpClient.newHttpClient().send(
          java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://127.0.0.1:" + api + "/health")).build(),
          java.net.http.HttpResponse.BodyHandlers.ofString());
      assertThat(r.statusCode()).as("agent with API port " + api).isEqualTo(200);
    }

    assertThat(status(data, "n1").path("nodes").findValues("witness").stream().map(w -> w.asBoolean()).toList())
        .as("n1, n2 data nodes; n3 the witness the guide names").containsExactly(false, false, true);

    // The guide's experiment: kill -9 the primary's agent.
    ProcessHandle n1 = agentOf(started, data.resolve("n1"));
    n1.destroyForcibly();
    await().atMost(Duration.ofMinutes(1)).pollInterval(Duration.ofMillis(200))
        .until(() -> servedBy(data).contains("served by n2"));
    await().atMost(Duration.ofMinutes(1)).pollInterval(Duration.ofMillis(200))
        .until(() -> Files.readString(dir.resolve("demo.out")).contains("n1 is running again"));
    assertThat(demo.isAlive()).as("the demo outlives the agent the user killed").isTrue();
    assertThat(Files.readString(dir.resolve("demo.out")))
        .contains("n1 (pid " + n1.pid() + ") exited with code 137; starting it again in 2 s");
    await().atMost(Duration.ofMinutes(1)).pollInterval(Duration.ofMillis(200)).untilAsserted(() -> {
      var web = status(data, "n1").path("groups").get(0);
      assertThat(web.path("primary").asText()).as("web's primary, seen by the restarted n1").isEqualTo("n2");
      assertThat(web.path("epoch").asInt()).as("one promotion").isEqualTo(2);
    });
    started.addAll(demo.descendants().toList());

    demo.destroy(); // SIGTERM, as Ctrl-C
    assertThat(demo.waitFor(90, TimeUnit.SECONDS)).as("demo exits").isTrue();
    await().atMost(Duration.ofSeconds(60)).until(() -> started.stream().noneMatch(ProcessHandle::isAlive));
    assertThat(Files.list(data).filter(p -> p.getFileName().toString().endsWith(".pid")).toList())
        .as("the demo service was stopped (its pidfile removed)").isEmpty();
  }

  /** Node {@code name}'s GET /api/v1/status, with its API token. */
  private static com.fasterxml.jackson.databind.JsonNode status(Path data, String name) throws Exception {
    Path node = data.resolve(name);
    int api = 18400 + 10 * Integer.parseInt(name.substring(1)); // the demo's fixed ports, as its guide prints them
    var r = java.net.http.HttpClient.newHttpClient().send(
        java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://127.0.0.1:" + api + "/api/v1/status"))
            .header("Authorization", "Bearer " + Files.readString(node.resolve("data").resolve("api.token")).strip()).build(),
        java.net.http.HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).as(name + "'s status: " + r.body()).isEqualTo(200);
    return new com.fasterxml.jackson.databind.ObjectMapper().readTree(r.body());
  }

  /** The running agent whose config is under {@code nodeDir}. */
  private static ProcessHandle agentOf(List<ProcessHandle> processes, Path nodeDir) throws IOException {
    for (ProcessHandle h : processes) {
      if (h.isAlive() && Files.readString(Path.of("/proc", Long.toString(h.pid()), "cmdline"))
          .contains(nodeDir.resolve("tandem.yaml").toString())) {
        return h;
      }
    }
    throw new AssertionError("no agent of " + nodeDir + " among " + processes);
  }

  private static String servedBy(Path data) throws IOException {
    Path log = data.resolve("web.log");
    return Files.exists(log) ? Files.readString(log) : "";
  }

  @AfterEach
  void killLeftovers() {
    if (demo != null) {
      started.addAll(demo.descendants().toList());
      demo.destroyForcibly();
    }
    started.forEach(ProcessHandle::destroyForcibly);
  }
}
