package tandem.backup;

import java.io.IOException;
import java.util.concurrent.TimeUnit;

/** Streams a dump stored in a snapshot into a loader process (pg_restore, psql, mariadb), chunk by chunk. */
final class DumpFeed {
  private DumpFeed() {}

  /** Streams a stored file into a process's standard input; null when it exited 0, else why not. */
  static String feed(Repository repo, Model.Node n, Process p) throws IOException {
    StringBuilder err = new StringBuilder();
    Thread drain = Thread.ofPlatform().daemon().name("dump-feed-stderr").start(() -> {
      try {
        err.append(new String(p.getErrorStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8));
      } catch (IOException e) {
        err.append(e.getMessage());
      }
    });
    try (var in = p.getOutputStream()) {
      for (String id : n.content()) {
        in.write(repo.get(id));
      }
    } catch (IOException e) {
      // The process ended early (it says why on stderr), or the repository failed: told below.
      if (e instanceof CorruptException) {
        p.destroyForcibly();
        throw e;
      }
    }
    try {
      if (!p.waitFor(30, TimeUnit.MINUTES)) {
        p.destroyForcibly();
        return "did not finish within 30 minutes";
      }
      drain.join(10_000);
    } catch (InterruptedException e) {
      p.destroyForcibly();
      Thread.currentThread().interrupt();
      throw new java.io.InterruptedIOException("interrupted while restoring " + n.name());
    }
    if (p.exitValue() != 0) {
      String text = err.toString().strip();
      return "exit " + p.exitValue() + (text.isEmpty() ? "" : ": " + text.lines().limit(5).reduce((a, b) -> a + " | " + b).orElse(""));
    }
    return null;
  }
}
