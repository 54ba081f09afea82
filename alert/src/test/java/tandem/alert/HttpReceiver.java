package tandem.alert;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** A real HTTP server on 127.0.0.1 that records every POST it gets (path and JSON body) and answers 200. */
final class HttpReceiver implements AutoCloseable {
  static final ObjectMapper JSON = new ObjectMapper();

  record Post(String path, JsonNode body) {}

  final List<Post> posts = new CopyOnWriteArrayList<>();
  private final HttpServer server;

  private HttpReceiver(int port) throws IOException {
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 0);
    server.createContext("/", ex -> {
      byte[] body = ex.getRequestBody().readAllBytes();
      posts.add(new Post(ex.getRequestURI().getPath(), JSON.readTree(new String(body, StandardCharsets.UTF_8))));
      ex.sendResponseHeaders(200, -1);
      ex.close();
    });
    server.start();
  }

  static HttpReceiver start() throws IOException {
    return new HttpReceiver(0);
  }

  static HttpReceiver startOn(int port) throws IOException {
    return new HttpReceiver(port);
  }

  /** A port nobody listens on right now (it was free a moment ago). */
  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  int port() {
    return server.getAddress().getPort();
  }

  String url(String path) {
    return "http://127.0.0.1:" + port() + path;
  }

  List<String> kinds() {
    return posts.stream().map(p -> p.body().path("state").asText() + " " + p.body().path("kind").asText()).toList();
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
