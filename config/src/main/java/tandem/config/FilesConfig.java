package tandem.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * A replicated directory: the primary's copy of {@code path} is mirrored to every node whose mode
 * for the group is active or passive, in real time.
 *
 * @param path the absolute path of the directory on this node
 * @param exclude gitignore-style patterns of paths that are not replicated
 * @param owner "user:group" (or "user") that replicated files get on replicas
 * @param keepVersions how long replaced or deleted files stay in .tandem-versions/ on replicas
 * @param rescan how often the whole tree is walked to catch what the watcher missed
 */
public record FilesConfig(Path path, List<String> exclude, Optional<String> owner, Optional<Duration> keepVersions,
    Duration rescan) implements ResourceConfig {
  /** The rescan interval used when {@code rescan:} is not set. */
  public static final Duration DEFAULT_RESCAN = Duration.ofHours(1);

  public FilesConfig {
    Objects.requireNonNull(path, "path");
    exclude = List.copyOf(exclude);
    Objects.requireNonNull(owner, "owner");
    Objects.requireNonNull(keepVersions, "keepVersions");
    Checks.positive(rescan, "rescan");
  }

  @Override
  public String kind() {
    return "files";
  }
}
