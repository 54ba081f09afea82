package tandem.db;

/** A database operation failed; the message says what and what to try next. */
public final class DbException extends Exception {
  public DbException(String message) {
    super(message);
  }

  public DbException(String message, Throwable cause) {
    super(message, cause);
  }
}
