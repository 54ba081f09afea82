package tandem.filesync;

import java.io.IOException;

/** The primary could not send a file's chunks because the file changed meanwhile; a newer entry follows. */
final class FileGoneException extends IOException {
  FileGoneException(String message) {
    super(message);
  }
}
