package tandem.health;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tandem.config.CheckTarget;

/** An HTTPS server with a self-signed certificate issued for another host than the one the check calls. */
class HttpsCheckTest {
  private static final char[] PASSWORD = "changeit".toCharArray();
  private static final Duration TIMEOUT = Duration.ofSeconds(5);

  @TempDir static Path dir;
  private static HttpsServer server;

  @BeforeAll
  static void startServer() throws Exception {
    Path keystore = selfSignedKeystore();
    server = HttpsServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.setHttpsConfigurator(new HttpsConfigurator(serverContext(keystore)));
    server.createContext("/health", x -> {
      x.sendResponseHeaders(200, -1);
      x.close();
    });
    server.start();
  }

  @AfterAll
  static void stopServer() {
    server.stop(0);
  }

  @Test
  void selfSignedCertificateWithInsecure_passes() throws Exception {
    CheckOutcome outcome = https(true).run(TIMEOUT);

    assertThat(outcome).isEqualTo(CheckOutcome.pass("HTTP 200 from " + url()));
  }

  @Test
  void selfSignedCertificateWithoutInsecure_failsPointingAtInsecure() throws Exception {
    CheckOutcome outcome = https(false).run(TIMEOUT);

    assertThat(outcome.passed()).isFalse();
    assertThat(outcome.detail())
        .startsWith("TLS with " + url() + " failed: ")
        .endsWith("(set insecure: true to accept a self-signed certificate)");
  }

  @Test
  void describe_saysAnyCertificateIsAccepted() {
    assertThat(https(true).describe()).isEqualTo("http GET " + url() + " (any certificate)");
  }

  private static HealthCheck https(boolean insecure) {
    return HealthChecks.of(new CheckTarget.Http(url(), 200, Optional.empty(), insecure));
  }

  private static URI url() {
    return URI.create("https://127.0.0.1:" + server.getAddress().getPort() + "/health");
  }

  private static Path selfSignedKeystore() throws Exception {
    Path keystore = dir.resolve("server.p12");
    Process keytool = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "keytool").toString(),
        "-genkeypair", "-alias", "server", "-keyalg", "EC", "-groupname", "secp256r1",
        "-dname", "CN=elsewhere.example", "-validity", "2", "-storetype", "PKCS12",
        "-keystore", keystore.toString(), "-storepass", new String(PASSWORD))
        .redirectErrorStream(true)
        .redirectOutput(dir.resolve("keytool.log").toFile())
        .start();
    assertThat(keytool.waitFor(60, TimeUnit.SECONDS)).as("keytool finished").isTrue();
    assertThat(keytool.exitValue()).as(Files.readString(dir.resolve("keytool.log"))).isZero();
    return keystore;
  }

  private static SSLContext serverContext(Path keystore) throws Exception {
    KeyStore store = KeyStore.getInstance("PKCS12");
    try (InputStream in = Files.newInputStream(keystore)) {
      store.load(in, PASSWORD);
    }
    KeyManagerFactory keys = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    keys.init(store, PASSWORD);
    SSLContext context = SSLContext.getInstance("TLS");
    context.init(keys.getKeyManagers(), null, null);
    return context;
  }
}
