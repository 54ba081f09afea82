package tandem.alert;

import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import tandem.core.Event;
import tandem.core.Level;

/**
 * Decides which events become alerts: pure bookkeeping, no I/O. Events of level warning or above fire. Some events
 * open a <em>condition</em> that a later event clears (a check fails, then recovers; a backup fails or is missed, then
 * a backup works): while a condition is open, more events of the same kind and subject are not sent again, and the
 * clearing event is sent as {@link Alert.State#RESOLVED} even though it is only of level info. Events that open no
 * condition (a failover, a refused peer) are sent once, and an identical one (same kind, node, group and message)
 * again only after {@code repeatAfter} has passed without it: a peer refused every minute is one alert, not sixty an
 * hour. Not thread-safe: the {@link Notifier} calls it under its lock.
 */
final class AlertRules {
  /** Event kind -> the condition family it opens or clears. */
  private static final Map<String, String> FAMILY = Map.ofEntries(
      Map.entry("check-failed", "check"), Map.entry("check-recovered", "check"),
      Map.entry("backup-failed", "backup"), Map.entry("backup-missed", "backup"), Map.entry("backup-done", "backup"),
      Map.entry("db-synchronous-fallback", "db-synchronous"), Map.entry("db-synchronous-restored", "db-synchronous"),
      Map.entry("db-follow-failed", "db-follow"), Map.entry("db-following", "db-follow"),
      Map.entry("db-dump-failed", "db-dump"), Map.entry("db-dump-recovered", "db-dump"),
      Map.entry("paused", "paused"), Map.entry("resumed", "paused"),
      Map.entry("definition-differs", "definition"),
      Map.entry("replication-lag", "lag"), Map.entry("replication-lag-cleared", "lag"),
      Map.entry(Notifier.TARGET_FAILED, "alert-target"), Map.entry(Notifier.TARGET_RECOVERED, "alert-target"));
  private static final Set<String> CLEARING = Set.of("check-recovered", "backup-done", "db-synchronous-restored",
      "db-following", "db-dump-recovered", "resumed", "replication-lag-cleared", Notifier.TARGET_RECOVERED);
  private static final Pattern CHECK = Pattern.compile("^check (.+?) (failed|recovered)");
  private static final Pattern QUOTED = Pattern.compile("'([^']*)'");
  private static final Pattern LAG = Pattern.compile("^(\\S+ \\([^)]*\\))");
  private static final int MAX_REMEMBERED = 10_000;

  private final InstantSource clock;
  private final Duration repeatAfter;
  private final Map<String, Instant> open = new HashMap<>();
  private final Map<String, Instant> lastSeen = new HashMap<>();

  AlertRules(InstantSource clock, Duration repeatAfter) {
    this.clock = clock;
    this.repeatAfter = repeatAfter;
  }

  /** The alert this event makes, if any. */
  Optional<Alert> decide(Event e) {
    String family = FAMILY.get(e.kind());
    boolean warning = e.level().compareTo(Level.WARNING) >= 0;
    String subject = subject(e);
    if (family == null) {
      return warning && !repeated(e.kind() + '\0' + e.node() + '\0' + e.group() + '\0' + e.message())
          ? Optional.of(new Alert(Alert.State.FIRING, e, subject)) : Optional.empty();
    }
    String key = family + '\0' + e.node() + '\0' + e.group() + '\0' + subject;
    if (CLEARING.contains(e.kind()) || (family.equals("definition") && !warning)) {
      // Sent when it ends a condition we reported, or when it matters by itself (resumed is a warning).
      boolean wasOpen = open.remove(key) != null;
      return wasOpen || warning ? Optional.of(new Alert(Alert.State.RESOLVED, e, subject)) : Optional.empty();
    }
    if (!warning || open.containsKey(key)) {
      return Optional.empty();
    }
    open.put(key, clock.instant());
    return Optional.of(new Alert(Alert.State.FIRING, e, subject));
  }

  /** True when the same event was seen less than repeatAfter ago; remembers it either way. */
  private boolean repeated(String key) {
    Instant now = clock.instant();
    Instant last = lastSeen.put(key, now);
    if (lastSeen.size() > MAX_REMEMBERED) {
      lastSeen.values().removeIf(t -> Duration.between(t, now).compareTo(repeatAfter) >= 0);
    }
    return last != null && Duration.between(last, now).compareTo(repeatAfter) < 0;
  }

  /** What a condition is about within its node and group: a check's label, an alert target's name, a replica. */
  static String subject(Event e) {
    Matcher m = switch (FAMILY.getOrDefault(e.kind(), "")) {
      case "check" -> CHECK.matcher(e.message());
      case "alert-target" -> QUOTED.matcher(e.message());
      case "lag" -> LAG.matcher(e.message());
      default -> null;
    };
    return m != null && m.find() ? m.group(1) : "";
  }
}
