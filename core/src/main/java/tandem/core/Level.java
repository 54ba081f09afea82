package tandem.core;

/** How much an event matters; warning and above are alerts (delivered to notifiers). */
public enum Level {
  INFO,
  WARNING,
  CRITICAL;
}
