package tandem.health;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A service made of marker files that a command check probes: it is up while the file "ok"
 * exists, fails once per token in "tokens/", and every probe appends a line to "runs".
 */
final class FakeService {
  private final Path dir;
  private final AtomicInteger tokens = new AtomicInteger();

  FakeService(Path dir) {
    this.dir = dir;
    io(() -> Files.createDirectories(dir.resolve("tokens")));
  }

  /** The check command: counts the run, spends a failure token if there is one, else tests "ok". */
  String checkCommand() {
    return "echo x >> " + dir.resolve("runs") + "; f=$(ls " + dir.resolve("tokens") + " | head -n 1); "
        + "if [ -n \"$f\" ]; then rm \"" + dir.resolve("tokens") + "/$f\"; exit 1; fi; test -f " + okFile();
  }

  /** A fix command that brings the service up and notes which check asked for it. */
  String fixCommand() {
    return "echo \"$TANDEM_CHECK $TANDEM_GROUP $TANDEM_NODE\" > " + dir.resolve("fixed-by") + "; touch " + okFile();
  }

  Path okFile() {
    return dir.resolve("ok");
  }

  void up() {
    io(() -> Files.writeString(okFile(), ""));
  }

  void down() {
    io(() -> Files.deleteIfExists(okFile()));
  }

  /** Makes the next {@code n} probes fail. */
  void failNext(int n) {
    for (int i = 0; i < n; i++) {
      Path token = dir.resolve("tokens").resolve("t" + tokens.incrementAndGet());
      io(() -> Files.writeString(token, ""));
    }
  }

  boolean tokensSpent() {
    return io(() -> {
      try (var files = Files.list(dir.resolve("tokens"))) {
        return files.findAny().isEmpty();
      }
    });
  }

  int runs() {
    Path runs = dir.resolve("runs");
    return io(() -> Files.exists(runs) ? Files.readAllLines(runs).size() : 0);
  }

  String fixedBy() {
    return io(() -> Files.readString(dir.resolve("fixed-by")).strip());
  }

  private interface IoWork<T> {
    T run() throws IOException;
  }

  private static <T> T io(IoWork<T> work) {
    try {
      return work.run();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
