package tandem.transport;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.IOException;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.UnknownHostException;
import java.security.cert.CertificateException;
import java.time.Duration;
import java.util.Optional;
import javax.net.ssl.SSLException;
import tandem.core.Durations;

/**
 * Turns a failed gRPC call into an IOException that says what happened in words an operator can
 * act on. gRPC reports most network trouble as UNAVAILABLE; the real reason (a refused
 * certificate, a refused connection) is buried in the status's cause chain, so it is dug out.
 */
final class TransportFailure {
  private static final int MAX_CAUSE_DEPTH = 32;

  private TransportFailure() {}

  static IOException explain(StatusRuntimeException e, String rpc, String target, Duration deadline) {
    return new IOException(message(e, rpc, target, deadline), e);
  }

  private static String message(StatusRuntimeException e, String rpc, String target, Duration deadline) {
    Status status = e.getStatus();
    // A refused certificate first: it is the most specific and the trust manager's message names the IDs.
    Optional<Throwable> refused = find(e, CertificateException.class).or(() -> find(e, SSLException.class));
    if (refused.isPresent()) {
      return "TLS with " + target + " failed: " + refused.get().getMessage();
    }
    Optional<Throwable> unreachable = find(e, ConnectException.class)
        .or(() -> find(e, NoRouteToHostException.class)).or(() -> find(e, UnknownHostException.class));
    if (unreachable.isPresent()) {
      return "cannot connect to " + target + ": " + unreachable.get().getMessage()
          + "; check the address and that tandem runs there";
    }
    return switch (status.getCode()) {
      case DEADLINE_EXCEEDED -> "no answer from " + target + " to " + rpc + " within " + Durations.format(deadline)
          + "; check that tandem runs there and the network between the nodes";
      case UNAVAILABLE -> target + " is unavailable for " + rpc + ": " + describe(status);
      default -> rpc + " to " + target + " failed: " + status.getCode() + ": " + describe(status);
    };
  }

  private static String describe(Status status) {
    if (status.getDescription() != null) {
      return status.getDescription();
    }
    return status.getCause() == null ? "no details" : status.getCause().toString();
  }

  private static Optional<Throwable> find(Throwable top, Class<? extends Throwable> type) {
    Throwable t = top;
    // Bounded, because a cause chain can loop.
    for (int depth = 0; t != null && depth < MAX_CAUSE_DEPTH; depth++, t = t.getCause()) {
      if (type.isInstance(t)) {
        return Optional.of(t);
      }
    }
    return Optional.empty();
  }
}
