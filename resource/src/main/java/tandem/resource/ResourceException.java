package tandem.resource;

/** A resource failed to start or stop; the message says which and why. */
public final class ResourceException extends Exception {
  public ResourceException(String message) {
    super(message);
  }
}
