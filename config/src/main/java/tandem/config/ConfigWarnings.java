package tandem.config;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import tandem.core.Durations;

/**
 * What is allowed but probably not what the user meant; `check-config` prints these as warnings and still exits 0.
 *
 * <p>Today one rule: a group's stop chain should fit in the fence window ({@link FailoverSettings#fenceWindow()}).
 * When a primary is fenced (its watchdog runs each service's stop, in reverse, then on-demote), another node may be
 * promoted once the window has passed; a stop that is still running then overlaps with the new primary's start.
 * Each command may run up to its timeout, so the timeouts are what must fit.
 */
public final class ConfigWarnings {
  private ConfigWarnings() {}

  /** Every warning for {@code config}, with the key path to change; empty when there is none. */
  public static List<ConfigProblem> of(TandemConfig config) {
    List<ConfigProblem> out = new ArrayList<>();
    FailoverSettings f = config.failover();
    config.groups().forEach((name, group) -> fenceWindow(name, group, f, out));
    config.backups().values().forEach(b -> unusedS3Credentials(b, out));
    return out;
  }

  private static void unusedS3Credentials(BackupConfig b, List<ConfigProblem> out) {
    boolean s3 = b.repository() instanceof RepositoryLocation.S3
        || b.copyTo().stream().anyMatch(RepositoryLocation.S3.class::isInstance);
    if (b.s3CredentialsFile() != null && !s3) {
      out.add(new ConfigProblem("backups." + b.name() + ".s3-credentials-file", "neither the repository nor a copy-to of"
          + " this backup is on S3, so these keys are not used; remove the key or check the repository"));
    }
  }

  private static void fenceWindow(String name, GroupConfig group, FailoverSettings f, List<ConfigProblem> out) {
    Duration window = f.fenceWindow();
    String path = "groups." + name;
    Duration chain = Duration.ZERO;
    int steps = 0;
    for (int i = 0; i < group.resources().size(); i++) {
      if (group.resources().get(i) instanceof ServiceConfig s) {
        chain = chain.plus(s.timeout());
        steps++;
        if (s.timeout().compareTo(window) > 0) {
          out.add(new ConfigProblem(path + ".resources[" + i + "].service.timeout", "the stop command may run for up "
              + "to " + text(s.timeout()) + " but the fence window is " + windowText(f) + "; if it takes longer, "
              + "another node may start the group while it still stops here. Raise failover.lease to "
              + text(f.leaseFor(s.timeout())) + " or set this timeout to at most " + text(window)));
        }
      }
    }
    if (group.onDemote().isPresent()) {
      chain = chain.plus(group.hookTimeout());
      steps++;
      if (group.hookTimeout().compareTo(window) > 0) {
        out.add(new ConfigProblem(path + ".hook-timeout", "on-demote may run for up to " + text(group.hookTimeout())
            + " when this node is fenced, but the fence window is " + windowText(f) + ". Raise failover.lease to "
            + text(f.leaseFor(group.hookTimeout())) + " or set hook-timeout to at most " + text(window)));
      }
    }
    if (steps > 1 && chain.compareTo(window) > 0) {
      out.add(new ConfigProblem(path, "the stop chain (" + steps + " commands, one after the other, up to "
          + text(chain) + " with their timeouts) may not finish inside the fence window of " + windowText(f)
          + ". Raise failover.lease to " + text(f.leaseFor(chain)) + " or shorten the stop timeouts"));
    }
  }

  private static String windowText(FailoverSettings f) {
    return text(f.fenceWindow()) + " (15% of failover.lease " + text(f.lease()) + " + failover.promote-margin "
        + text(f.promoteMargin()) + ")";
  }

  // Durations.format rounds to a tenth of a second; a bound printed here must be exact.
  private static String text(Duration d) {
    long ms = d.toMillis();
    return ms % 1000 == 0 || (ms < 60_000 && ms % 100 == 0) ? Durations.format(d) : ms + "ms";
  }
}
