package tandem.cli;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import java.io.IOException;
import java.net.HttpURLConnection;
import java.net.URI;
import java.nio.file.Files;
import java.time.Duration;
import tandem.config.TandemConfig;

/**
 * Calls the local agent's REST API with the node's API token. On {@link HttpURLConnection}, not java.net.http: a backup
 * command that hands its run to the agent starts from the backup commands' AOT cache, which holds none of
 * java.net.http's ~300 classes (loading them cost such a command ~0.3 s), and a CLI call needs one request at a time.
 */
final class ApiClient {
  /** For commands that print JSON; made on first use (an ObjectMapper's class set-up is ~30 ms of a command's start). */
  static ObjectMapper json() {
    return Json.MAPPER;
  }

  private static final class Json {
    static final ObjectMapper MAPPER = JsonMapper.builder().disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES).build();
  }

  private static final JsonFactory PARSERS = new JsonFactory();

  /** An answer's JSON as a tree, read with the streaming parser: an ObjectMapper is not needed to read a few fields. */
  static JsonNode parse(String text) throws IOException {
    try (var p = PARSERS.createParser(text)) {
      var first = p.nextToken();
      return first == null ? JsonNodeFactory.instance.objectNode() : node(p, first);
    }
  }

  private static JsonNode node(JsonParser p, JsonToken t) throws IOException {
    JsonNodeFactory f = JsonNodeFactory.instance;
    return switch (t) {
      case START_OBJECT -> {
        var o = f.objectNode();
        while (p.nextToken() == JsonToken.FIELD_NAME) {
          String name = p.currentName();
          o.set(name, node(p, p.nextToken()));
        }
        yield o;
      }
      case START_ARRAY -> {
        var a = f.arrayNode();
        for (var next = p.nextToken(); next != JsonToken.END_ARRAY; next = p.nextToken()) {
          a.add(node(p, next));
        }
        yield a;
      }
      case VALUE_STRING -> f.textNode(p.getText());
      case VALUE_NUMBER_INT -> switch (p.getNumberType()) { // the node types an ObjectMapper makes
        case INT -> f.numberNode(p.getIntValue());
        case LONG -> f.numberNode(p.getLongValue());
        default -> f.numberNode(p.getBigIntegerValue());
      };
      case VALUE_NUMBER_FLOAT -> f.numberNode(p.getDoubleValue());
      case VALUE_TRUE -> f.booleanNode(true);
      case VALUE_FALSE -> f.booleanNode(false);
      case VALUE_NULL -> f.nullNode();
      default -> throw new JsonParseException(p, "unexpected " + t + " in the agent's answer");
    };
  }
  private static final int CONNECT_MS = 3_000;
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
    return send("GET", base + path, token, Duration.ofSeconds(60));
  }

  /**
   * GET from another node's API, e.g. the primary's, at {@code hostPort} as the cluster lists it. Each node has a token
   * of its own, so this works where that node sets api.open-read: true (the error says so otherwise).
   */
  JsonNode getFrom(String hostPort, String path) {
    String host = hostPort.startsWith("0.0.0.0:") ? "127.0.0.1" + hostPort.substring(7) : hostPort;
    return send("GET", "http://" + host + path, null, Duration.ofSeconds(10));
  }

  /** Whether this node has an API token, i.e. its agent has run at least once. */
  boolean hasToken() {
    return !token.isEmpty();
  }

  /** POSTs to the local agent, or returns null when nothing listens at its API address (nothing was asked then). */
  JsonNode postIfRunning(String path) {
    try {
      return exchange("POST", base + path, token, Duration.ofSeconds(60));
    } catch (java.net.ConnectException e) {
      return null;
    } catch (IOException e) {
      throw unreachable(base, e);
    }
  }

  JsonNode post(String path) {
    return send("POST", base + path, token, Duration.ofSeconds(60));
  }

  private static HttpURLConnection open(String method, String url, String token, Duration timeout) throws IOException {
    HttpURLConnection c = (HttpURLConnection) URI.create(url).toURL().openConnection();
    c.setRequestMethod(method);
    c.setConnectTimeout(CONNECT_MS);
    c.setReadTimeout((int) timeout.toMillis());
    c.setUseCaches(false);
    if (token != null) {
      c.setRequestProperty("Authorization", "Bearer " + token);
    }
    if (method.equals("POST")) {
      c.setDoOutput(true);
      c.setFixedLengthStreamingMode(0);
    }
    return c;
  }

  private JsonNode send(String method, String url, String token, Duration timeout) {
    try {
      return exchange(method, url, token, timeout);
    } catch (IOException e) {
      throw unreachable(url.substring(0, url.indexOf('/', "http://".length())), e);
    }
  }

  /** One request: the answer's JSON, a {@link CliException} for an error status, an IOException when nothing answered. */
  private static JsonNode exchange(String method, String url, String token, Duration timeout) throws IOException {
    HttpURLConnection c = open(method, url, token, timeout);
    int status = c.getResponseCode();
    String text;
    try (var in = status >= 400 ? c.getErrorStream() : c.getInputStream()) {
      text = in == null ? "" : new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
    }
    JsonNode body = text.isBlank() ? JsonNodeFactory.instance.objectNode() : parse(text);
    if (status == 409) {
      throw new CliException(1, body.path("message").asText(text));
    }
    if (status >= 400) {
      throw new CliException(status == 503 ? 3 : 1, body.path("error").asText(text));
    }
    return body;
  }

  private static CliException unreachable(String at, IOException e) {
    String why = e.getMessage() != null ? e.getMessage() : e instanceof java.net.ConnectException ? "connection refused" : e.toString();
    return new CliException(3, "cannot reach the agent at " + at + " (" + why + "); is `tandem run` running on this node?");
  }
}
