package tandem.cluster;

/**
 * What applying a command did: accepted or refused, with a sentence saying why.
 *
 * @param ok true when the command changed (or confirmed) the state
 * @param message a human sentence; for a refusal it says what to do
 * @param epoch the group's epoch after the command, when it concerns a group (else 0)
 */
public record CommandResult(boolean ok, String message, long epoch) {
  public static CommandResult ok(String message) {
    return new CommandResult(true, message, 0);
  }

  public static CommandResult ok(String message, long epoch) {
    return new CommandResult(true, message, epoch);
  }

  public static CommandResult refused(String message) {
    return new CommandResult(false, message, 0);
  }
}
