package tandem.agent;

import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import tandem.core.Event;
import tandem.core.EventSink;
import tandem.core.Level;

/**
 * Turns refused peers (a certificate that is not pinned, a bad join token) into warning events,
 * once a minute per distinct message: a misconfigured peer retries several times a second.
 */
final class RefusalEvents {
  private static final Map<String, Long> LAST = new ConcurrentHashMap<>();
  private static final long QUIET_NANOS = 60_000_000_000L;

  private final EventSink events;
  private final String node;

  RefusalEvents(EventSink events, String node) {
    this.events = events;
    this.node = node;
  }

  void refused(String kind, String message) {
    long now = System.nanoTime();
    Long last = LAST.put(kind + message, now);
    if (last != null && now - last < QUIET_NANOS) {
      return;
    }
    events.emit(new Event(Instant.now(), Level.WARNING, kind, node, "", message));
  }
}
