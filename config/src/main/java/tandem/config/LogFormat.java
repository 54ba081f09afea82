package tandem.config;

/** How the agent writes its log lines to standard output. */
public enum LogFormat {
  /** One line of human text per entry (the default). */
  TEXT,
  /** One JSON object per line: time, level, logger, message, event fields, exception; for log shippers. */
  JSON
}
