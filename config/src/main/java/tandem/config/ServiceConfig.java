package tandem.config;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * A service resource: shell commands that start, stop and optionally check a program, such as
 * {@code docker compose up -d}.
 *
 * @param start the command that starts the service
 * @param stop the command that stops the service
 * @param check a command that exits 0 while the service is healthy
 * @param timeout how long each command may run before it is killed; 60s unless set
 */
public record ServiceConfig(String start, String stop, Optional<String> check, Duration timeout)
    implements ResourceConfig {
  /** The timeout used when {@code timeout:} is not set. */
  public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(60);

  public ServiceConfig {
    Checks.notBlank(start, "start");
    Checks.notBlank(stop, "stop");
    Objects.requireNonNull(check, "check");
    Checks.positive(timeout, "timeout");
  }

  @Override
  public String kind() {
    return "service";
  }
}
