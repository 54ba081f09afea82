package tandem.health;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import tandem.config.CheckTarget;
import tandem.config.HostPort;

class TcpCheckTest {
  private static final Duration TIMEOUT = Duration.ofSeconds(2);

  @Test
  void listeningPort_passes() throws Exception {
    try (ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
      CheckOutcome outcome = tcp("127.0.0.1", server.getLocalPort()).run(TIMEOUT);

      assertThat(outcome).isEqualTo(CheckOutcome.pass("connected to 127.0.0.1:" + server.getLocalPort()));
    }
  }

  @Test
  void closedPort_failsAsRefused() throws Exception {
    int port = closedPort();

    CheckOutcome outcome = tcp("127.0.0.1", port).run(TIMEOUT);

    assertThat(outcome).isEqualTo(CheckOutcome.fail("connect to 127.0.0.1:" + port + " refused"));
  }

  @Test
  void unknownHost_failsNamingTheHost() throws Exception {
    CheckOutcome outcome = tcp("no-such-host.invalid", 80).run(TIMEOUT);

    assertThat(outcome.passed()).isFalse();
    assertThat(outcome.detail()).startsWith("cannot resolve host 'no-such-host.invalid'");
  }

  @Test
  void describe_namesTheAddress() {
    assertThat(tcp("127.0.0.1", 5432).describe()).isEqualTo("tcp 127.0.0.1:5432");
  }

  private static HealthCheck tcp(String host, int port) {
    return HealthChecks.of(new CheckTarget.Tcp(new HostPort(host, port)));
  }

  private static int closedPort() throws Exception {
    try (ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
      return server.getLocalPort();
    }
  }
}
