package tandem.core;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs an operator's command line with {@code sh -c}: service start/stop commands, hooks, fix
 * commands, command checks. A command that outlives its timeout is killed with its whole
 * process tree, and the result says so; output is kept (its last 4 KiB) for messages.
 */
public final class Shell {
  private static final int KEEP = 4096;

  private Shell() {}

  /**
   * The result of one run.
   *
   * @param exitCode the exit code, or -1 when the command was killed on timeout or could not start
   * @param timedOut true when the command was killed because it ran past its timeout
   * @param output the last 4 KiB of stdout and stderr, merged
   * @param took how long it ran
   */
  public record Result(int exitCode, boolean timedOut, String output, Duration took) {
    public boolean ok() {
      return exitCode == 0 && !timedOut;
    }

    /** A short phrase for messages: "exit 0", "exit 3: <last line>", "killed after 5s". */
    public String summary() {
      if (timedOut) {
        return "killed after " + Durations.format(took) + " (timeout)";
      }
      String last = lastLine(output);
      return "exit " + exitCode + (last.isEmpty() ? "" : ": " + last);
    }
  }

  /** Runs {@code command} with {@code sh -c}, extra environment {@code env}, bounded by {@code timeout}. */
  public static Result run(String command, Map<String, String> env, Duration timeout) throws InterruptedException {
    long start = System.nanoTime();
    ProcessBuilder pb = new ProcessBuilder("sh", "-c", command).redirectErrorStream(true);
    pb.environment().putAll(env);
    Process p;
    try {
      p = pb.start();
    } catch (IOException e) {
      return new Result(-1, false, "could not start sh: " + e.getMessage(), Duration.ZERO);
    }
    try {
      p.getOutputStream().close();
    } catch (IOException ignored) {
      // stdin already closed
    }
    OutputTail tail = new OutputTail(p.getInputStream());
    Thread reader = Thread.ofVirtual().start(tail);
    boolean finished = p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
    if (!finished) {
      killTree(p.toHandle());
      p.waitFor(2, TimeUnit.SECONDS);
    }
    reader.join(1000);
    Duration took = Duration.ofNanos(System.nanoTime() - start);
    return new Result(finished ? p.exitValue() : -1, !finished, tail.text(), took);
  }

  /** Kills a process and all its descendants (children first, so none is re-parented and lost). */
  public static void killTree(ProcessHandle root) {
    List<ProcessHandle> all = new ArrayList<>(root.descendants().toList());
    all.forEach(ProcessHandle::destroyForcibly);
    root.destroyForcibly();
  }

  private static String lastLine(String output) {
    String t = output.strip();
    int nl = t.lastIndexOf('\n');
    String line = nl < 0 ? t : t.substring(nl + 1);
    return line.length() > 200 ? line.substring(0, 200) + "..." : line;
  }

  private static final class OutputTail implements Runnable {
    private final InputStream in;
    private final byte[] ring = new byte[KEEP];
    private long total;

    OutputTail(InputStream in) {
      this.in = in;
    }

    @Override
    public void run() {
      byte[] buf = new byte[8192];
      try (in) {
        int n;
        while ((n = in.read(buf)) > 0) {
          synchronized (this) {
            for (int i = 0; i < n; i++) {
              ring[(int) (total++ % KEEP)] = buf[i];
            }
          }
        }
      } catch (IOException ignored) {
        // the process went away; what we read so far is the output
      }
    }

    synchronized String text() {
      if (total <= KEEP) {
        return new String(ring, 0, (int) total, StandardCharsets.UTF_8);
      }
      int startAt = (int) (total % KEEP);
      byte[] ordered = new byte[KEEP];
      System.arraycopy(ring, startAt, ordered, 0, KEEP - startAt);
      System.arraycopy(ring, 0, ordered, KEEP - startAt, startAt);
      return new String(ordered, StandardCharsets.UTF_8);
    }
  }
}
