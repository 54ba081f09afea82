package tandem.failover;

import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;
import tandem.core.Durations;
import tandem.core.Mode;

/**
 * Decides who should be primary of a group. A pure function of an {@link Observation}: no I/O,
 * no clock; the coordinator on the Raft leader carries out what it returns.
 */
public final class FailoverPolicy {
  private FailoverPolicy() {}

  /** The decision for one group now. */
  public static Decision decide(Observation o) {
    // Maintenance: the operator asked us to keep our hands off.
    if (o.paused()) {
      return new Decision.Stay("paused: automatic failover is off (tandem resume " + o.group() + ")");
    }
    // First start: only on the preferred node. A node that bootstrapped a cluster of its own by
    // mistake (it was meant to join one) must not start a group another cluster may be running.
    if (o.primary() == null && o.neverHadPrimary() && o.preferred() != null) {
      return firstStart(o);
    }
    // No primary at all (a release without target): elect the best candidate.
    if (o.primary() == null) {
      return best(o, null).<Decision>map(c -> new Decision.Promote(c.name(), "group has no primary; "
          + c.name() + " is the best candidate (" + describe(c) + ")"))
          .orElseGet(() -> new Decision.Stuck("group has no primary and no node can take it: " + unfit(o, null)));
    }
    boolean leaseOver = o.sinceRenewal().compareTo(o.settings().promoteAfter()) >= 0;
    if (leaseOver) {
      return primaryLost(o);
    }
    // A planned switchover is in progress: the primary is alive and hands over by itself.
    if (o.switchoverTo() != null) {
      return new Decision.Stay("switchover of " + o.group() + " from " + o.primary() + " to " + o.switchoverTo() + " in progress");
    }
    if (o.sinceRenewal().compareTo(o.settings().lease().dividedBy(2)) > 0) {
      Duration left = o.settings().promoteAfter().minus(o.sinceRenewal());
      return new Decision.Wait(o.primary() + " has not renewed its lease for " + Durations.format(o.sinceRenewal())
          + "; another node may take over in " + Durations.format(left), left);
    }
    // The primary lives but a critical check fails there: move the group, without waiting for a lease.
    if (o.primaryCriticalFailing()) {
      return best(o, o.primary()).<Decision>map(c -> new Decision.Switchover(c.name(), "a critical check fails on "
          + o.primary() + "; moving to " + c.name() + " (" + describe(c) + ")"))
          .orElseGet(() -> new Decision.Stuck("a critical check fails on " + o.primary()
              + " but no other node can take over: " + unfit(o, o.primary())));
    }
    return failback(o).orElseGet(() -> new Decision.Stay(o.primary() + " is primary and holds its lease"));
  }

  private static Decision firstStart(Observation o) {
    Optional<Candidate> p = o.candidates().stream().filter(c -> c.name().equals(o.preferred())).findFirst();
    if (p.isPresent() && p.get().unfitReason() == null) {
      return new Decision.Promote(o.preferred(), "first start of " + o.group() + " on its preferred node " + o.preferred());
    }
    String why = p.map(Candidate::unfitReason).orElse(o.preferred() + " has not joined this cluster");
    return new Decision.Stuck(o.group() + " has never run; it waits for its preferred node (" + why
        + "); to start it elsewhere: tandem failover " + o.group() + " --to <node> --force");
  }

  private static Decision primaryLost(Observation o) {
    String lost = o.primary() + " has not renewed its lease for " + Durations.format(o.sinceRenewal());
    // Raft cannot commit anything without a majority, and two voters have none when one is
    // lost; say so rather than pretend (safety rule 4).
    if (o.voters() < 3) {
      return new Decision.Stuck(lost + ", and a cluster of " + o.voters()
          + " voting nodes cannot fail over by itself; add a witness, or run `tandem failover " + o.group()
          + " --to <node> --force` once you know " + o.primary() + " is down");
    }
    Optional<Candidate> target = Optional.ofNullable(o.switchoverTo())
        .flatMap(t -> o.candidates().stream().filter(c -> c.name().equals(t) && c.unfitReason() == null).findFirst())
        .or(() -> best(o, o.primary()));
    return target.<Decision>map(c -> new Decision.Promote(c.name(), lost + " (lease over); promoting " + c.name()
        + " (" + describe(c) + ")"))
        .orElseGet(() -> new Decision.Stuck(lost + " and no other node can take over: " + unfit(o, o.primary())));
  }

  private static Optional<Decision> failback(Observation o) {
    if (!o.failbackAuto()) {
      return Optional.empty();
    }
    Optional<Candidate> preferred = o.candidates().stream().filter(c -> c.mode() == Mode.PRIMARY).findFirst();
    if (preferred.isEmpty() || preferred.get().name().equals(o.primary()) || preferred.get().unfitReason() != null) {
      return Optional.empty();
    }
    Candidate p = preferred.get();
    if (p.healthyFor().compareTo(o.failbackAfter()) < 0) {
      return Optional.of(new Decision.Wait("failback to " + p.name() + " once it has been healthy for "
          + Durations.format(o.failbackAfter()) + " (now " + Durations.format(p.healthyFor()) + ")",
          o.failbackAfter().minus(p.healthyFor())));
    }
    return Optional.of(new Decision.Switchover(p.name(), "failback: " + p.name() + " is the preferred node and has been healthy for "
        + Durations.format(p.healthyFor())));
  }

  /**
   * The fittest candidate other than {@code exclude}: the furthest database position first (any
   * other choice makes the furthest replica rewind away what it had), then highest score, then name.
   * Groups without a database have no positions, so only score and name count there.
   */
  static Optional<Candidate> best(Observation o, String exclude) {
    return o.candidates().stream()
        .filter(c -> !c.name().equals(exclude) && c.unfitReason() == null)
        .min(Comparator.comparingLong(Candidate::position).reversed()
            .thenComparing(Comparator.comparingInt(Candidate::score).reversed())
            .thenComparing(Candidate::name));
  }

  private static String unfit(Observation o, String exclude) {
    List<String> reasons = o.candidates().stream().filter(c -> !c.name().equals(exclude))
        .map(Candidate::unfitReason).filter(r -> r != null).toList();
    return reasons.isEmpty() ? "no other data node in the group" : reasons.stream().collect(Collectors.joining("; "));
  }

  private static String describe(Candidate c) {
    return c.mode().word() + ", score " + c.score() + (c.position() >= 0 ? ", position " + c.position()
        + (c.lagBytes() >= 0 ? ", " + c.lagBytes() + " " + c.lagUnit() + " behind" : "") : "");
  }
}
