package tandem.core;

/**
 * Where events go. Implementations must be safe for concurrent use, return quickly and never
 * throw: a failing notifier is itself an event, not a crash of the caller.
 */
@FunctionalInterface
public interface EventSink {
  EventSink NONE = e -> {};

  void emit(Event event);
}
