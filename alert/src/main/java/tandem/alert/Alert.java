package tandem.alert;

import java.util.Objects;
import tandem.core.Event;

/**
 * One message to the operator: an event that opened or repeated a problem ({@link State#FIRING}), or the event that
 * ended one ({@link State#RESOLVED}).
 *
 * @param state whether this reports a problem or its end
 * @param event the event behind it
 * @param subject what the condition is about beyond node and group (a check's name, an alert target), or ""
 */
public record Alert(State state, Event event, String subject) {

  /** Whether an alert reports a problem or its end. */
  public enum State {
    /** Something needs attention (or happened and the operator should know). */
    FIRING,
    /** A condition reported earlier has cleared (a check passes again, a backup worked). */
    RESOLVED
  }

  public Alert {
    Objects.requireNonNull(state, "state");
    Objects.requireNonNull(event, "event");
    Objects.requireNonNull(subject, "subject");
  }
}
