package tandem.config;

import java.nio.file.Path;
import java.util.List;

/** Thrown when a tandem.yaml cannot be used; it carries every problem found, not just the first. */
public final class ConfigException extends Exception {
  private final Path file;
  private final List<ConfigProblem> problems;

  /**
   * @param file the config file the problems are in
   * @param problems at least one problem
   */
  public ConfigException(Path file, List<ConfigProblem> problems) {
    super(message(file, problems));
    this.file = file;
    this.problems = List.copyOf(problems);
  }

  /** The config file the problems are in. */
  public Path file() {
    return file;
  }

  /** Every problem, section by section in the order the loader reads them. */
  public List<ConfigProblem> problems() {
    return problems;
  }

  private static String message(Path file, List<ConfigProblem> problems) {
    if (problems.isEmpty()) {
      throw new IllegalArgumentException("a ConfigException needs at least one problem");
    }
    StringBuilder sb = new StringBuilder();
    sb.append(file == null ? "tandem.yaml" : file).append(" has ").append(problems.size())
        .append(problems.size() == 1 ? " problem:" : " problems:");
    for (ConfigProblem p : problems) {
      sb.append("\n  - ").append(p);
    }
    return sb.toString();
  }
}
