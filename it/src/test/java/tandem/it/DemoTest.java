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

/** `tandem demo` as a user runs it: three agents come up, the demo service runs, Ctrl-C stops everything. */
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

    demo.destroy(); // SIGTERM, as Ctrl-C
    assertThat(demo.waitFor(90, TimeUnit.SECONDS)).as("demo exits").isTrue();
    await().atMost(Duration.ofSeconds(60)).until(() -> started.stream().noneMatch(ProcessHandle::isAlive));
    assertThat(Files.list(data).filter(p -> p.getFileName().toString().endsWith(".pid")).toList())
        .as("the demo service was stopped (its pidfile removed)").isEmpty();
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
