package tandem.cli;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.time.Duration;
import tandem.config.TandemConfig;

/** Calls the local agent's REST API with the node's API token. */
final class ApiClient {
  static final ObjectMapper JSON = JsonMapper.builder().disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES).build();
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(3)).build();
  private final String base;
  private final String token;

  ApiClient(TandemConfig cfg) {
    var api = cfg.node().api();
    String host = api.host().equals("0.0.0.0") ? "127.0.0.1" : api.host().contains(":") ? "[" + api.host() + "]" : api.host();
    this.base = "http://" + host + ":" + api.port();
    String t;
    try {
      t = Files.readString(cfg.node().dataDir().resolve("api.token")).strip();
    } catch (IOException e) {
      t = "";
    }
    this.token = t;
  }

  JsonNode get(String path) {
    return send(HttpRequest.newBuilder(URI.create(base + path)).GET().header("Authorization", "Bearer " + token), path,
        Duration.ofSeconds(60));
  }

  /**
   * GET from another node's API, e.g. the primary's, at {@code hostPort} as the cluster lists it. Each node has a token
   * of its own, so this works where that node sets api.open-read: true (the error says so otherwise).
   */
  JsonNode getFrom(String hostPort, String path) {
    String host = hostPort.startsWith("0.0.0.0:") ? "127.0.0.1" + hostPort.substring(7) : hostPort;
    return send(HttpRequest.newBuilder(URI.create("http://" + host + path)).GET(), path, Duration.ofSeconds(10));
  }

  JsonNode post(String path) {
    return send(HttpRequest.newBuilder(URI.create(base + path)).POST(HttpRequest.BodyPublishers.noBody())
        .header("Authorization", "Bearer " + token), path, Duration.ofSeconds(60));
  }

  private JsonNode send(HttpRequest.Builder b, String path, Duration timeout) {
    try {
      HttpResponse<String> r = http.send(b.timeout(timeout).build(), HttpResponse.BodyHandlers.ofString());
      JsonNode body = r.body().isBlank() ? JSON.createObjectNode() : JSON.readTree(r.body());
      if (r.statusCode() == 409) {
        throw new CliException(1, body.path("message").asText(r.body()));
      }
      if (r.statusCode() >= 400) {
        throw new CliException(r.statusCode() == 503 ? 3 : 1, body.path("error").asText(r.body()));
      }
      return body;
    } catch (IOException e) {
      String why = e.getMessage() != null ? e.getMessage() : e instanceof java.net.ConnectException ? "connection refused" : e.toString();
      throw new CliException(3, "cannot reach the agent at " + base + " (" + why + "); is `tandem run` running on this node?");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new CliException(1, "interrupted");
    }
  }
}
