package tandem.health;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import tandem.config.CheckTarget;

class HttpCheckTest {
  private static final Duration TIMEOUT = Duration.ofSeconds(5);

  private final CountDownLatch release = new CountDownLatch(1);
  private final ExecutorService handlers = Executors.newVirtualThreadPerTaskExecutor();
  private HttpServer server;

  @BeforeEach
  void startServer() throws IOException {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.setExecutor(handlers);
    server.createContext("/ok", x -> answer(x, 200, "all good"));
    server.createContext("/down", x -> answer(x, 503, "maintenance"));
    server.createContext("/empty", x -> answer(x, 204, ""));
    server.createContext("/moved", x -> {
      x.getResponseHeaders().add("Location", "/ok");
      answer(x, 302, "");
    });
    server.createContext("/hang", this::hang);
    server.start();
  }

  @AfterEach
  void stopServer() {
    release.countDown();
    server.stop(0);
    handlers.close();
  }

  @Test
  void okAnswer_passes() throws Exception {
    assertThat(http("/ok", 0, null).run(TIMEOUT)).isEqualTo(CheckOutcome.pass("HTTP 200 from " + url("/ok")));
  }

  @Test
  void serviceUnavailable_failsWithTheStatus() throws Exception {
    CheckOutcome outcome = http("/down", 0, null).run(TIMEOUT);

    assertThat(outcome).isEqualTo(CheckOutcome.fail("HTTP 503 from " + url("/down") + " (expected 2xx or 3xx)"));
  }

  @Test
  void bodyWithoutTheExpectedText_fails() throws Exception {
    CheckOutcome outcome = http("/ok", 200, "ready").run(TIMEOUT);

    assertThat(outcome).isEqualTo(
        CheckOutcome.fail("HTTP 200 from " + url("/ok") + " but the body does not contain 'ready'"));
  }

  @Test
  void bodyWithTheExpectedText_passes() throws Exception {
    assertThat(http("/ok", 200, "good").run(TIMEOUT).passed()).isTrue();
  }

  @Test
  void otherStatusThanTheExpectedOne_fails() throws Exception {
    assertThat(http("/ok", 204, null).run(TIMEOUT).detail()).endsWith("(expected 204)");
    assertThat(http("/empty", 204, null).run(TIMEOUT).passed()).isTrue();
  }

  @Test
  void redirect_isNotFollowed() throws Exception {
    assertThat(http("/moved", 200, null).run(TIMEOUT).detail()).startsWith("HTTP 302 from");
    assertThat(http("/moved", 0, null).run(TIMEOUT).passed()).isTrue();
  }

  @Test
  void serverThatDoesNotAnswer_failsAfterTheTimeout() throws Exception {
    CheckOutcome outcome = http("/hang", 0, null).run(Duration.ofMillis(300));

    assertThat(outcome).isEqualTo(CheckOutcome.fail("no answer from " + url("/hang") + " within 300ms"));
  }

  @Test
  void closedPort_failsAsRefused() throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
      port = s.getLocalPort();
    }
    URI closed = URI.create("http://127.0.0.1:" + port + "/");

    CheckOutcome outcome = HealthChecks.of(new CheckTarget.Http(closed, 0, Optional.empty(), false)).run(TIMEOUT);

    assertThat(outcome).isEqualTo(CheckOutcome.fail("connect to " + closed + " refused"));
  }

  private HealthCheck http(String path, int expectStatus, String expectBody) {
    return HealthChecks.of(new CheckTarget.Http(url(path), expectStatus, Optional.ofNullable(expectBody), false));
  }

  private URI url(String path) {
    return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + path);
  }

  private void hang(HttpExchange exchange) throws IOException {
    try {
      release.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    answer(exchange, 200, "late");
  }

  private static void answer(HttpExchange exchange, int status, String body) throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    exchange.sendResponseHeaders(status, bytes.length == 0 ? -1 : bytes.length);
    try (var out = exchange.getResponseBody()) {
      out.write(bytes);
    }
  }
}
