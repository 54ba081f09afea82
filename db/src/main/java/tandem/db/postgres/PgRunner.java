package tandem.db.postgres;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs PostgreSQL's programs as the operating-system user the server belongs to: PostgreSQL
 * refuses to run as root, so an agent running as root goes through {@code runuser}. Secrets go in
 * the environment (PGPASSWORD) or on stdin, never on the command line, and are masked in output.
 */
final class PgRunner {
  private final Path bin;
  private final String user;
  private final boolean switchUser;
  private final List<String> secrets = new java.util.concurrent.CopyOnWriteArrayList<>();

  PgRunner(Path bin, String user) {
    this.bin = bin;
    this.user = user;
    this.switchUser = !user.equals(System.getProperty("user.name"));
  }

  /** The result of one program run: exit code and output (stdout and stderr, secrets masked). */
  record Result(int exit, String output) {
    boolean ok() {
      return exit == 0;
    }

    /** The last non-blank lines, for messages. */
    String tail() {
      List<String> lines = output.lines().filter(l -> !l.isBlank()).toList();
      return String.join(" / ", lines.subList(Math.max(0, lines.size() - 3), lines.size()));
    }
  }

  /** A string that must never show in output or messages (a password). */
  void secret(String s) {
    if (s != null && !s.isEmpty()) {
      secrets.add(s);
    }
  }

  /** The argv that runs {@code program} as the server's user. */
  List<String> argv(String program, List<String> args) {
    List<String> cmd = new ArrayList<>();
    if (switchUser) {
      cmd.addAll(List.of("runuser", "-u", user, "--"));
    }
    cmd.add(bin.resolve(program).toString());
    cmd.addAll(args);
    return cmd;
  }

  /** The same as a shell command line, for the fencing watchdog. */
  String shell(String program, List<String> args) {
    return String.join(" ", argv(program, args).stream().map(PgRunner::quote).toList());
  }

  static String quote(String s) {
    return s.matches("[A-Za-z0-9_./:=@-]+") ? s : "'" + s.replace("'", "'\\''") + "'";
  }

  Result run(String program, List<String> args, Map<String, String> env, String stdin, Duration timeout)
      throws IOException, InterruptedException {
    ProcessBuilder pb = new ProcessBuilder(argv(program, args)).redirectErrorStream(true);
    pb.environment().putAll(env);
    pb.environment().put("LC_MESSAGES", "C");
    pb.directory(Path.of("/").toFile());
    Process p = pb.start();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    Thread reader = Thread.ofVirtual().start(() -> {
      try {
        p.getInputStream().transferTo(out);
      } catch (IOException ignored) {
        // the process is gone
      }
    });
    try (var in = p.getOutputStream()) {
      if (stdin != null) {
        in.write(stdin.getBytes(StandardCharsets.UTF_8));
      }
    } catch (IOException ignored) {
      // it did not read its input
    }
    if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
      // Only the program itself: a server it started (pg_ctl start) must live on.
      p.destroyForcibly();
      p.waitFor(5, TimeUnit.SECONDS);
      reader.join(2000);
      return new Result(-1, mask(out.toString(StandardCharsets.UTF_8)) + "\n(timed out after " + timeout.toSeconds() + " s)");
    }
    reader.join(5000);
    return new Result(p.exitValue(), mask(out.toString(StandardCharsets.UTF_8)));
  }

  String mask(String text) {
    String t = text;
    for (String s : secrets) {
      t = t.replace(s, "********");
    }
    return t;
  }
}
