package tandem.health.internal;

import java.io.IOException;
import java.net.ConnectException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import javax.net.ssl.SSLException;
import tandem.config.CheckTarget;
import tandem.core.Durations;
import tandem.health.CheckOutcome;
import tandem.health.HealthCheck;

/**
 * A check that an HTTP(S) GET answers with the expected status and, if asked, a body that
 * contains the expected text. Redirects are not followed: a 302 is the answer, not a detour.
 */
public final class HttpCheck implements HealthCheck {
  private final CheckTarget.Http http;
  private final HttpClient client;

  public HttpCheck(CheckTarget.Http http) {
    this.http = http;
    this.client = client(http.insecure());
  }

  @Override
  public String describe() {
    return "http GET " + http.url() + (http.insecure() ? " (any certificate)" : "");
  }

  @Override
  public CheckOutcome run(Duration timeout) throws InterruptedException {
    HttpRequest request = HttpRequest.newBuilder(http.url()).GET().timeout(timeout).build();
    CompletableFuture<HttpResponse<String>> answer = client.sendAsync(request, HttpResponse.BodyHandlers.ofString());
    try {
      // The request timeout covers only the wait for headers; this bounds connect and body too.
      return judge(answer.get(timeout.toNanos(), TimeUnit.NANOSECONDS));
    } catch (TimeoutException e) {
      return noAnswer(timeout);
    } catch (ExecutionException e) {
      return failed(e.getCause(), timeout);
    } finally {
      answer.cancel(true);
    }
  }

  private static HttpClient client(boolean insecure) {
    HttpClient.Builder builder = HttpClient.newBuilder()
        .version(HttpClient.Version.HTTP_1_1)
        .followRedirects(HttpClient.Redirect.NEVER);
    return (insecure ? builder.sslContext(TrustAll.context()) : builder).build();
  }

  private CheckOutcome judge(HttpResponse<String> response) {
    String seen = "HTTP " + response.statusCode() + " from " + http.url();
    if (!statusMatches(response.statusCode())) {
      return CheckOutcome.fail(seen + " (expected " + expectedStatus() + ")");
    }
    String wanted = http.expectBody().orElse("");
    return response.body().contains(wanted)
        ? CheckOutcome.pass(seen)
        : CheckOutcome.fail(seen + " but the body does not contain '" + wanted + "'");
  }

  private boolean statusMatches(int status) {
    return http.expectStatus() == 0 ? status >= 200 && status < 400 : status == http.expectStatus();
  }

  private String expectedStatus() {
    return http.expectStatus() == 0 ? "2xx or 3xx" : Integer.toString(http.expectStatus());
  }

  private CheckOutcome failed(Throwable cause, Duration timeout) {
    return switch (cause) {
      case HttpTimeoutException e -> noAnswer(timeout);
      case ConnectException e -> CheckOutcome.fail("connect to " + http.url() + " refused");
      case SSLException e -> CheckOutcome.fail("TLS with " + http.url() + " failed: " + e.getMessage() + tlsHint());
      case IOException e -> CheckOutcome.fail("GET " + http.url() + " failed: " + e);
      default -> CheckOutcome.fail("GET " + http.url() + " failed: " + cause);
    };
  }

  private CheckOutcome noAnswer(Duration timeout) {
    return CheckOutcome.fail("no answer from " + http.url() + " within " + Durations.format(timeout));
  }

  private String tlsHint() {
    return http.insecure() ? "" : " (set insecure: true to accept a self-signed certificate)";
  }
}
