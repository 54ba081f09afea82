package tandem.filesync;

/** A message from a peer that tandem refuses: a hostile path, impossible sizes, a bad hash. */
public final class BadMessageException extends Exception {
  public BadMessageException(String message) {
    super(message);
  }
}
