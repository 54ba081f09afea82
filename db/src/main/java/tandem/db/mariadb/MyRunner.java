package tandem.db.mariadb;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import tandem.db.DbException;

/**
 * Runs MariaDB's programs as the server's operating-system user (through {@code runuser} when the
 * agent runs as another user, e.g. root), so the files they write belong to the server. Passwords
 * never go on a command line; output is masked for them anyway.
 */
final class MyRunner {
  private static final List<Path> PLACES = List.of(Path.of("/usr/sbin"), Path.of("/usr/bin"), Path.of("/usr/local/bin"),
      Path.of("/usr/local/mysql/bin"));
  private final Path bin;
  private final String user;
  private final boolean switchUser;
  private final List<String> secrets = new java.util.concurrent.CopyOnWriteArrayList<>();
  private final String install;
  private final String binKey;

  MyRunner(Path bin, String user) {
    this(bin, user, "MariaDB (apt-get install mariadb-server mariadb-backup)", "mariadb.bin");
  }

  /**
   * @param install what to install when a program is missing, for the message
   * @param binKey the tandem.yaml key that names the programs' directory, for the message
   */
  MyRunner(Path bin, String user, String install, String binKey) {
    this.bin = bin;
    this.user = user;
    this.switchUser = !user.equals(System.getProperty("user.name"));
    this.install = install;
    this.binKey = binKey;
  }

  /** The result of one program run: exit code and output (stderr, and stdout unless it went elsewhere; secrets masked). */
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

  void secret(String s) {
    if (s != null && !s.isEmpty()) {
      secrets.add(s);
    }
  }

  /** The path of one of MariaDB's programs: in {@code bin}, else in the usual places; throws saying how to get it. */
  Path program(String name) throws DbException {
    for (Path dir : prepend(bin)) {
      if (Files.isExecutable(dir.resolve(name))) {
        return dir.resolve(name);
      }
    }
    throw new DbException("no " + name + " in " + bin + " or " + PLACES + "; install " + install + " or set " + binKey
        + " to the directory of its programs");
  }

  private static List<Path> prepend(Path first) {
    List<Path> out = new ArrayList<>();
    out.add(first);
    out.addAll(PLACES);
    return out;
  }

  /** The argv that runs {@code program} as the server's user. */
  List<String> argv(String program, List<String> args) throws DbException {
    List<String> cmd = new ArrayList<>();
    if (switchUser) {
      cmd.addAll(List.of("runuser", "-u", user, "--"));
    }
    cmd.add(program(program).toString());
    cmd.addAll(args);
    return cmd;
  }

  String user() {
    return user;
  }

  Result run(String program, List<String> args, String stdin, Duration timeout) throws DbException {
    return run(argv(program, args), stdin == null ? null : new java.io.ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)),
        null, timeout);
  }

  /**
   * Runs {@code argv} with {@code in} as its standard input (null: none) and its standard output
   * copied to {@code out} (null: kept with stderr in the result).
   */
  Result run(List<String> argv, InputStream in, OutputStream out, Duration timeout) throws DbException {
    try {
      ProcessBuilder pb = new ProcessBuilder(argv);
      pb.environment().put("LC_MESSAGES", "C");
      pb.directory(Path.of("/").toFile());
      if (out == null) {
        pb.redirectErrorStream(true);
      }
      Process p = pb.start();
      ByteArrayOutputStream text = new ByteArrayOutputStream();
      Thread errs = Thread.ofVirtual().start(() -> drain(out == null ? p.getInputStream() : p.getErrorStream(), text));
      Thread data = out == null ? null : Thread.ofVirtual().start(() -> copy(p.getInputStream(), out));
      try (OutputStream stdin = p.getOutputStream()) {
        if (in != null) {
          in.transferTo(stdin);
        }
      } catch (IOException e) {
        text.writeBytes(("(standard input: " + e.getMessage() + ")\n").getBytes(StandardCharsets.UTF_8));
      }
      if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        p.destroyForcibly();
        p.waitFor(5, TimeUnit.SECONDS);
        errs.join(2000);
        return new Result(-1, mask(text.toString(StandardCharsets.UTF_8)) + "\n(timed out after " + timeout.toSeconds() + " s)");
      }
      errs.join(5000);
      if (data != null) {
        data.join();
      }
      return new Result(p.exitValue(), mask(text.toString(StandardCharsets.UTF_8)));
    } catch (IOException e) {
      throw new DbException("cannot run " + argv.getLast() + ": " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new DbException(String.join(" ", argv) + " interrupted", e);
    }
  }

  private static void drain(InputStream in, ByteArrayOutputStream to) {
    try {
      in.transferTo(to);
    } catch (IOException ignored) {
      // the process is gone
    }
  }

  private static void copy(InputStream in, OutputStream out) {
    try {
      in.transferTo(out);
      out.flush();
    } catch (IOException ignored) {
      // the reader went away; the exit code and its message say why
    }
  }

  String mask(String text) {
    String t = text;
    for (String s : secrets) {
      t = t.replace(s, "********");
    }
    return t;
  }

  static String quote(String s) {
    return s.matches("[A-Za-z0-9_./:=@-]+") ? s : "'" + s.replace("'", "'\\''") + "'";
  }
}
