package tandem.health.internal;

import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;
import tandem.config.HostPort;
import tandem.core.Durations;
import tandem.health.CheckOutcome;
import tandem.health.HealthCheck;

/**
 * A check that a TCP port accepts a connection within the timeout. Resolving the host name and
 * connecting each get the timeout, so a slow DNS server cannot hold a run up for long.
 */
public final class TcpCheck implements HealthCheck {
  private final HostPort address;

  public TcpCheck(HostPort address) {
    this.address = address;
  }

  @Override
  public String describe() {
    return "tcp " + where();
  }

  @Override
  public CheckOutcome run(Duration timeout) throws InterruptedException {
    InetSocketAddress target;
    try {
      target = Timeouts.call(() -> new InetSocketAddress(address.host(), address.port()), timeout);
    } catch (TimeoutException e) {
      return CheckOutcome.fail("cannot resolve host '" + address.host() + "' within " + Durations.format(timeout));
    } catch (ExecutionException e) {
      return CheckOutcome.fail("bad address " + where() + ": " + e.getCause().getMessage());
    }
    return target.isUnresolved()
        ? CheckOutcome.fail("cannot resolve host '" + address.host() + "'")
        : connect(target, timeout);
  }

  private CheckOutcome connect(InetSocketAddress target, Duration timeout) {
    try (Socket socket = new Socket()) {
      socket.connect(target, Timeouts.millis(timeout));
      return CheckOutcome.pass("connected to " + where());
    } catch (ConnectException e) {
      return CheckOutcome.fail("connect to " + where() + " refused");
    } catch (SocketTimeoutException e) {
      return CheckOutcome.fail("connect to " + where() + " timed out after " + Durations.format(timeout));
    } catch (IOException e) {
      return CheckOutcome.fail("connect to " + where() + " failed: " + e.getMessage());
    }
  }

  private String where() {
    return address.host() + ":" + address.port();
  }
}
