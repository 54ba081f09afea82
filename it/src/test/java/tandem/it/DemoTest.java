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
    demo = new ProcessBuilder(javaBin, "-cp", System.getProperty("java.class.path"), "tandem.cli.Main", "demo",
        "--dir", data.toString())
        .redirectErrorStream(true).redirectOutput(dir.resolve("demo.out").toFile()).start();

    await().atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofMillis(200))
        .until(() -> Files.readString(dir.resolve("demo.out")).contains("Ctrl-C stops the demo"));
    await().atMost(Duration.ofMinutes(1)).pollInterval(Duration.ofMillis(200))
        .until(() -> servedBy(data).contains("served by n1"));
    started.addAll(demo.descendants().toList());
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
