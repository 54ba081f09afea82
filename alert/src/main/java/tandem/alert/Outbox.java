package tandem.alert;

import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayDeque;
import java.util.Deque;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tandem.config.AlertTarget;
import tandem.core.Event;
import tandem.core.EventSink;
import tandem.core.Level;

/**
 * One target's queue of alerts and the thread that delivers them, in order, retrying with exponential backoff.
 * The alert being delivered is held apart from the queue, so dropping the oldest on overflow never loses track of it.
 */
final class Outbox implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(Outbox.class);

  private final AlertTarget target;
  private final Delivery delivery;
  private final Notifier.Settings settings;
  private final EventSink events;
  private final String self;
  private final InstantSource clock;
  private final Deque<Alert> queue = new ArrayDeque<>();
  private final Thread worker;
  private long delivered;
  private long failedAttempts;
  private long dropped;
  private boolean inFlight;
  private Instant failingSince;
  private volatile boolean closed;

  Outbox(AlertTarget target, Delivery delivery, Notifier.Settings settings, EventSink events, String self,
      InstantSource clock) {
    this.target = target;
    this.delivery = delivery;
    this.settings = settings;
    this.events = events;
    this.self = self;
    this.clock = clock;
    this.worker = Thread.ofPlatform().daemon().name("alerts " + target.name()).unstarted(this::run);
  }

  String name() {
    return target.name();
  }

  void start() {
    worker.start();
  }

  synchronized void offer(Alert a) {
    if (queue.size() >= settings.capacity()) {
      queue.removeFirst();
      dropped++;
    }
    queue.addLast(a);
    notifyAll();
  }

  synchronized Notifier.TargetStats stats() {
    String kind = target instanceof AlertTarget.Email ? "email" : "webhook";
    return new Notifier.TargetStats(target.name(), kind, delivered, failedAttempts, dropped,
        queue.size() + (inFlight ? 1 : 0), failingSince != null);
  }

  private void run() {
    Duration backoff = settings.firstRetry();
    Alert a = null;
    try {
      while (!closed) {
        if (a == null) {
          a = take();
        }
        try {
          delivery.deliver(a);
          a = null;
          backoff = settings.firstRetry();
          delivered();
        } catch (InterruptedException e) {
          throw e;
        } catch (Exception e) {
          failed(e, backoff);
          Thread.sleep(backoff);
          backoff = backoff.multipliedBy(2).compareTo(settings.maxRetry()) > 0 ? settings.maxRetry() : backoff.multipliedBy(2);
        }
      }
    } catch (InterruptedException e) {
      // closed
    }
  }

  private synchronized Alert take() throws InterruptedException {
    while (queue.isEmpty()) {
      wait();
    }
    inFlight = true;
    return queue.removeFirst();
  }

  private void delivered() {
    Instant since;
    synchronized (this) {
      delivered++;
      inFlight = false;
      notifyAll();
      since = failingSince;
      failingSince = null;
    }
    if (since != null) {
      emit(Level.INFO, Notifier.TARGET_RECOVERED, Notifier.recoveredMessage(target.name(), since, clock));
    }
  }

  private void failed(Exception e, Duration retry) {
    boolean first;
    int queued;
    synchronized (this) {
      failedAttempts++;
      first = failingSince == null;
      if (first) {
        failingSince = clock.instant();
      }
      notifyAll();
      queued = queue.size() + 1;
    }
    LOG.debug("alert to {} failed: {}", target.name(), e.toString());
    if (first) {
      emit(Level.WARNING, Notifier.TARGET_FAILED, Notifier.failedMessage(target.name(), e, queued, retry));
    }
  }

  private void emit(Level level, String kind, String message) {
    try {
      events.emit(new Event(clock.instant(), level, kind, self, "", message));
    } catch (RuntimeException ex) {
      LOG.warn("cannot report the alert target {}: {}", target.name(), ex.toString());
    }
  }

  /**
   * Gives the alerts raised while the agent stops (its demotions) until {@code deadlineNanos} to go out, unless the
   * target is failing anyway.
   */
  synchronized void drain(long deadlineNanos) throws InterruptedException {
    while ((!queue.isEmpty() || inFlight) && failingSince == null && System.nanoTime() - deadlineNanos < 0) {
      wait(Math.max(1, (deadlineNanos - System.nanoTime()) / 1_000_000));
    }
  }

  @Override
  public void close() {
    closed = true;
    worker.interrupt();
    try {
      worker.join(Duration.ofSeconds(5));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
