package tandem.health;

import tandem.config.CheckTarget;
import tandem.health.internal.CommandCheck;
import tandem.health.internal.DiskCheck;
import tandem.health.internal.HttpCheck;
import tandem.health.internal.ProcessCheck;
import tandem.health.internal.TcpCheck;

/** The factory of the generic checks that tandem.yaml can configure: tcp, http, command, process and disk. */
public final class HealthChecks {
  private HealthChecks() {}

  /**
   * The check that probes {@code target}.
   *
   * <ul>
   *   <li>tcp: a connection is accepted within the timeout.
   *   <li>http/https: a GET answers with the expected status (any 2xx/3xx when 0) and, if asked,
   *       a body containing the expected text. Redirects are not followed. {@code insecure}
   *       accepts any TLS certificate and host name.
   *   <li>command: {@code sh -c command} exits 0 within the timeout; see {@link #of(CheckTarget, java.util.Map)}.
   *   <li>process: the pid in the pidfile is alive, or some live process is named as asked (its
   *       {@code /proc/<pid>/comm}, or the base name of its command).
   *   <li>disk: the file system holding the path has at least the minimum free bytes and percent.
   * </ul>
   */
  public static HealthCheck of(CheckTarget target) {
    return of(target, java.util.Map.of());
  }

  /**
   * As {@link #of(CheckTarget)}, a command check running with {@code env} added to its environment: the
   * agent gives TANDEM_NODE and TANDEM_GROUP, as to the group's start and stop commands and its hooks.
   */
  public static HealthCheck of(CheckTarget target, java.util.Map<String, String> env) {
    return switch (target) {
      case CheckTarget.Tcp t -> new TcpCheck(t.address());
      case CheckTarget.Http h -> new HttpCheck(h);
      case CheckTarget.Command c -> new CommandCheck(c.command(), env);
      case CheckTarget.Process p -> new ProcessCheck(p.pidfile(), p.name());
      case CheckTarget.Disk d -> new DiskCheck(d);
      case CheckTarget.Sql q -> throw new IllegalArgumentException("an sql check queries the group's database; the agent"
          + " builds it with the database (tandem.db.SqlCheck), not this factory");
    };
  }
}
