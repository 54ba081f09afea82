package tandem.alert;

import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Predicate;
import tandem.config.AlertTarget;
import tandem.core.Event;
import tandem.core.EventSink;

/**
 * Delivers alerts to the targets of {@code alerts:}. Subscribed to the node's event stream, it turns events into
 * alerts ({@link AlertRules}: warning and above, deduplicated while a condition lasts, a resolved message when it
 * clears) and puts each into every target's outbox.
 *
 * <p><b>Delivery.</b> Each target has its own bounded queue and thread, so a slow or dead target never holds up
 * another or the caller of {@link #emit}. An alert that cannot be delivered is retried with exponential backoff
 * ({@code firstRetry} doubling up to {@code maxRetry}) until it goes through, in order; a target that is down for a
 * while gets its queued alerts once it is back. When the queue is full the oldest alert is dropped and counted.
 *
 * <p><b>A failing target is an event.</b> Its first failed attempt raises {@value #TARGET_FAILED} (warning) and the
 * first delivery after that {@value #TARGET_RECOVERED}; these reach the other targets but never the target they are
 * about, and being a condition they are raised once per outage, so two failing targets cannot feed each other a loop.
 *
 * <p><b>Which node sends.</b> Every node sends what it alone sees (its checks, its demotion, its backups, a peer it
 * refused). Events that every node raises alike because they come from the replicated cluster state (a change of
 * primary, a pause) are sent only where {@code sendsHere} says so; the agent lets only the Raft leader send them, so
 * one failover is one alert, not one per node.
 */
public final class Notifier implements EventSink, AutoCloseable {
  /** The kind of the event raised when a target's delivery fails. */
  public static final String TARGET_FAILED = "alert-failed";
  /** The kind of the event raised when a target that failed takes deliveries again. */
  public static final String TARGET_RECOVERED = "alert-recovered";

  /**
   * How delivery behaves.
   *
   * @param capacity alerts kept per target while it is down; older ones are dropped beyond it
   * @param firstRetry the wait after the first failed attempt; it doubles after each further one
   * @param maxRetry the longest wait between attempts
   * @param repeatAfter how long an identical event that opens no condition stays quiet
   */
  public record Settings(int capacity, Duration firstRetry, Duration maxRetry, Duration repeatAfter) {
    public static final Settings DEFAULT = new Settings(1000, Duration.ofSeconds(1), Duration.ofMinutes(5),
        Duration.ofHours(1));
  }

  /** What a target has done since the agent started, for /metrics. */
  public record TargetStats(String target, String kind, long delivered, long failedAttempts, long dropped, int queued,
      boolean failing) {}

  private final String cluster;
  private final String self;
  private final Predicate<Event> sendsHere;
  private final AlertRules rules;
  private final List<Outbox> outboxes = new ArrayList<>();

  private Notifier(String cluster, String self, Predicate<Event> sendsHere, InstantSource clock, Settings settings) {
    this.cluster = cluster;
    this.self = self;
    this.sendsHere = sendsHere;
    this.rules = new AlertRules(clock, settings.repeatAfter());
  }

  /**
   * Starts one delivery thread per target.
   *
   * @param events where the notifier reports failing and recovered targets (the node's event log, to which the
   *     notifier is then subscribed by the caller)
   */
  public static Notifier start(String cluster, String self, List<AlertTarget> targets, Predicate<Event> sendsHere,
      EventSink events, InstantSource clock, Settings settings) {
    Notifier n = new Notifier(cluster, self, sendsHere, clock, settings);
    for (AlertTarget t : targets) {
      n.outboxes.add(new Outbox(t, Delivery.of(t, cluster), settings, events, self, clock));
    }
    n.outboxes.forEach(Outbox::start);
    return n;
  }

  @Override
  public void emit(Event e) {
    if (outboxes.isEmpty() || !sendsHere.test(e)) {
      return;
    }
    Optional<Alert> alert;
    synchronized (rules) {
      alert = rules.decide(e);
    }
    alert.ifPresent(a -> {
      boolean aboutATarget = a.event().kind().equals(TARGET_FAILED) || a.event().kind().equals(TARGET_RECOVERED);
      for (Outbox o : outboxes) {
        if (!(aboutATarget && a.event().node().equals(self) && a.subject().equals(o.name()))) {
          o.offer(a);
        }
      }
    });
  }

  /** What a condition an event opens or clears is about, beyond its node and group (a check, a replica), or "". */
  public static String subjectOf(Event e) {
    return AlertRules.subject(e);
  }

  public List<TargetStats> stats() {
    return outboxes.stream().map(Outbox::stats).toList();
  }

  String cluster() {
    return cluster;
  }

  /** Waits up to 3 s for queued alerts to reach targets that work, then stops every delivery thread. */
  @Override
  public void close() {
    long deadline = System.nanoTime() + 3_000_000_000L;
    try {
      for (Outbox o : outboxes) {
        o.drain(deadline);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    outboxes.forEach(Outbox::close);
  }

  /** The message of {@value #TARGET_FAILED}; the target's name is quoted so the alert rules can find it. */
  static String failedMessage(String target, Exception e, int queued, Duration retry) {
    return "alert target '" + target + "' failed: " + describe(e) + "; " + queued + " alert(s) waiting, retrying in "
        + tandem.core.Durations.format(retry) + " and then less and less often; check the target's address and"
        + " credentials in alerts: of tandem.yaml";
  }

  static String recoveredMessage(String target, Instant since, InstantSource clock) {
    return "alert target '" + target + "' takes alerts again after failing for "
        + tandem.core.Durations.format(Duration.between(since, clock.instant()));
  }

  static String describe(Throwable e) {
    String m = e.getMessage();
    Throwable c = e.getCause();
    String base = m == null || m.isBlank() ? e.getClass().getSimpleName() : m;
    return c != null && c.getMessage() != null && !base.contains(c.getMessage()) ? base + " (" + c.getMessage() + ")" : base;
  }
}
