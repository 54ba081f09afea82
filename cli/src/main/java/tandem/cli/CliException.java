package tandem.cli;

/** A failure the CLI reports as one line and an exit code (1 refused, 2 bad input, 3 unreachable). */
final class CliException extends RuntimeException {
  final int code;

  CliException(int code, String message) {
    super(message);
    this.code = code;
  }
}
