package tandem.config;

import java.util.Objects;

/**
 * One thing wrong with a tandem.yaml, at a key path such as {@code groups.web.checks[0].interval}.
 *
 * @param path the key path; empty when the problem concerns the whole file (syntax errors, an empty file)
 * @param message what is wrong and how to fix it
 */
public record ConfigProblem(String path, String message) {

  public ConfigProblem {
    Objects.requireNonNull(path, "path");
    Objects.requireNonNull(message, "message");
  }

  /** "path: message", or just the message when the path is empty. */
  @Override
  public String toString() {
    return path.isEmpty() ? message : path + ": " + message;
  }
}
