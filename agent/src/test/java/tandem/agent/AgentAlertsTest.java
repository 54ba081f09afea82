package tandem.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tandem.config.ConfigLoader;
import tandem.config.TandemConfig;
import tandem.core.NodeName;
import tandem.transport.NodeIdentity;

/**
 * A real agent (one node, its own Raft, transport, watchdog and API on 127.0.0.1) configured from tandem.yaml with an
 * {@code alerts:} webhook: its events reach a real HTTP receiver, and its API keeps reads closed without the token.
 */
class AgentAlertsTest {
  static final Duration PATIENCE = Duration.ofSeconds(60 * Long.getLong("timing-multiple", 1));
  static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path dir;
  final List<JsonNode> posts = new CopyOnWriteArrayList<>();
  final HttpClient http = HttpClient.newHttpClient();
  HttpServer receiver;
  Agent agent;

  @AfterEach
  void stop() throws Exception {
    if (agent != null) {
      agent.close();
    }
    if (receiver != null) {
      receiver.stop(0);
    }
    http.close();
  }

  @Test
  void aRealAgent_sendsItsWarningsToTheWebhook_andKeepsReadsClosedWithoutTheToken() throws Exception {
    receiver = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    receiver.createContext("/hook", ex -> {
      posts.add(JSON.readTree(ex.getRequestBody().readAllBytes()));
      ex.sendResponseHeaders(204, -1);
      ex.close();
    });
    receiver.start();
    int[] ports = freePorts(3);
    Path data = dir.resolve("data");
    NodeIdentity.create(data, new NodeName("n1"), List.of("127.0.0.1"));
    Path yaml = dir.resolve("tandem.yaml");
    Files.writeString(yaml, """
        cluster: alerting
        node: { name: n1, listen: 127.0.0.1:%d, raft-port: %d, api: 127.0.0.1:%d, data-dir: data }
        groups:
          web:
            nodes: { n1: primary }
            resources:
              - service: { start: "true", stop: "true", timeout: 5s }
        alerts:
          - webhook: http://127.0.0.1:%d/hook
        """.formatted(ports[0], ports[1], ports[2], receiver.getAddress().getPort()));
    TandemConfig cfg = ConfigLoader.load(yaml);

    agent = Agent.start(cfg);

    await().atMost(PATIENCE).until(() -> kinds().contains("firing promoted") && kinds().contains("firing primary-changed"));
    String api = "http://127.0.0.1:" + ports[2];
    String token = Files.readString(data.resolve(ApiToken.FILE)).strip();
    assertThat(send(HttpRequest.newBuilder(URI.create(api + "/api/v1/status")).GET()).statusCode()).isEqualTo(401);
    // /primary answers 200 once the node's report that it runs the group at this epoch is committed, a moment after
    // the `promoted` event (CI once asked in between and got 503).
    await().atMost(PATIENCE).until(() ->
        send(HttpRequest.newBuilder(URI.create(api + "/primary?group=web")).GET()).statusCode() == 200);
    HttpResponse<String> paused = send(HttpRequest.newBuilder(URI.create(api + "/api/v1/groups/web/pause"))
        .header("Authorization", "Bearer " + token).POST(HttpRequest.BodyPublishers.noBody()));
    assertThat(paused.statusCode()).as(paused.body()).isEqualTo(200);
    send(HttpRequest.newBuilder(URI.create(api + "/api/v1/groups/web/resume")).header("Authorization", "Bearer " + token)
        .POST(HttpRequest.BodyPublishers.noBody()));

    await().atMost(PATIENCE).until(() -> kinds().contains("resolved resumed"));
    assertThat(kinds()).containsOnlyOnce("firing primary-changed", "firing paused", "resolved resumed")
        .doesNotContain("firing started");
    JsonNode pausedAlert = posts.stream().filter(p -> p.path("kind").asText().equals("paused")).findFirst().orElseThrow();
    assertThat(pausedAlert.path("cluster").asText()).isEqualTo("alerting");
    assertThat(pausedAlert.path("group").asText()).isEqualTo("web");
    String metrics = send(HttpRequest.newBuilder(URI.create(api + "/metrics")).header("Authorization", "Bearer " + token)
        .GET()).body();
    assertThat(metrics).contains("tandem_group_primary{group=\"web\",node=\"n1\"} 1.0")
        .contains("tandem_group_epoch{group=\"web\"} 1.0")
        .contains("tandem_alert_target_failing{target=\"webhook 127.0.0.1:" + receiver.getAddress().getPort()
            + "\",type=\"webhook\"} 0.0")
        .containsPattern("tandem_alerts_delivered_total\\{target=\"webhook 127.0.0.1:[0-9]+\",type=\"webhook\"} [1-9]");
  }

  private List<String> kinds() {
    return posts.stream().map(p -> p.path("state").asText() + " " + p.path("kind").asText()).toList();
  }

  private HttpResponse<String> send(HttpRequest.Builder b) throws IOException, InterruptedException {
    return http.send(b.timeout(Duration.ofSeconds(20)).build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
  }

  /** Ports below the ephemeral range that nothing listens on (this helper's range: 29700-29799). */
  private static int[] freePorts(int n) throws IOException {
    int[] out = new int[n];
    int found = 0;
    for (int p = 29700 + (int) (ProcessHandle.current().pid() % 10) * 10; p < 29800 && found < n; p++) {
      try (ServerSocket s = new ServerSocket(p, 1, java.net.InetAddress.getLoopbackAddress())) {
        out[found++] = s.getLocalPort();
      } catch (IOException busy) {
        // taken; try the next
      }
    }
    if (found < n) {
      throw new IOException("no " + n + " free ports in 29700-29799 on 127.0.0.1");
    }
    return out;
  }
}
