package tandem.resource;

import java.time.Duration;
import java.util.List;
import tandem.core.Shell;

/** A service started and stopped by the operator's commands (`docker compose up -d`...). */
public final class ServiceResource implements Resource {
  private final String start;
  private final String stop;
  private final Duration timeout;

  public ServiceResource(String start, String stop, Duration timeout) {
    this.start = start;
    this.stop = stop;
    this.timeout = timeout;
  }

  @Override
  public String describe() {
    return "service '" + start + "'";
  }

  @Override
  public void start(RoleChange change) throws ResourceException, InterruptedException {
    run("start", start, change);
  }

  @Override
  public void stop(RoleChange change) throws ResourceException, InterruptedException {
    run("stop", stop, change);
  }

  @Override
  public List<FenceStep> fenceSteps(RoleChange change) {
    return List.of(new FenceStep(stop, change.environment(), timeout.toMillis()));
  }

  private void run(String what, String command, RoleChange change) throws ResourceException, InterruptedException {
    Shell.Result r = Shell.run(command, change.environment(), timeout);
    if (!r.ok()) {
      throw new ResourceException(what + " command '" + command + "' of group " + change.group() + " failed: " + r.summary());
    }
  }
}
