package tandem.failover.fencing;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import tandem.core.Shell;
import tandem.resource.FenceStep;

/**
 * The fencing watchdog: a small process started beside the agent, outside its JVM, that holds
 * each group's lease deadline. The agent re-arms it at every renewal; when a deadline passes
 * without one (the agent hangs in a GC pause or SIGSTOP, or died with kill -9), the watchdog runs
 * the group's stop steps so the service is down before the lease ends and another node starts it.
 *
 * <p>Protocol on stdin, one line each: {@code PLAN <group> <plan>}, {@code ARM <group>
 * <deadline-nanos>}, {@code DISARM <group>}. Deadlines are {@link System#nanoTime()} values, which
 * on Linux read CLOCK_MONOTONIC and so agree between processes. It writes {@code FENCED <group>
 * <summary>} on stdout. At end of input (the agent is gone) it waits for the armed deadlines,
 * fences, and exits.
 */
public final class WatchdogMain {
  private final Map<String, FencePlan> plans = new HashMap<>();
  private final Map<String, Long> deadlines = new HashMap<>();
  /**
   * Lines from the agent, in batches of whatever the pipe held at once: after a stall of this
   * process the reader hands over a passed ARM together with the newer ARM behind it, so the main
   * loop never sees the first without the second and fences on a stale deadline.
   */
  private final LinkedBlockingQueue<List<String>> batches = new LinkedBlockingQueue<>();
  private static final long IDLE_WAIT_NANOS = TimeUnit.SECONDS.toNanos(1);

  private volatile boolean eof;

  /**
   * Every class of this process outside the JDK. {@link Watchdog} puts exactly these on its class
   * path; {@link #main} loads them all before reading a line, so a missing one stops the watchdog
   * at start (and the agent sees it die) rather than when it must fence.
   */
  static final List<String> CLASSES = List.of("tandem.failover.fencing.WatchdogMain",
      "tandem.failover.fencing.FencePlan", "tandem.resource.FenceStep", "tandem.core.Shell",
      "tandem.core.Shell$Result", "tandem.core.Shell$OutputTail", "tandem.core.Durations");

  public static void main(String[] args) throws Exception {
    for (String c : CLASSES) {
      Class.forName(c);
    }
    new WatchdogMain().run();
  }

  private void run() throws InterruptedException {
    Thread reader = new Thread(this::readInput, "watchdog-stdin");
    reader.setDaemon(true);
    reader.start();
    while (!(eof && deadlines.isEmpty() && batches.isEmpty())) {
      List<String> batch = batches.poll(waitNanos(), TimeUnit.NANOSECONDS);
      // Read everything that is waiting before firing: after a stall of this process, the newest
      // ARM or DISARM counts, not an older deadline that has passed meanwhile.
      while (batch != null) {
        batch.forEach(this::handle);
        batch = batches.poll();
      }
      fireDue();
    }
  }

  /**
   * How long to wait for input: until the nearest deadline, at most {@link #IDLE_WAIT_NANOS}. An
   * idle watchdog used to wake every 10 ms (0.5-0.7 % of a core); a line (ARM, DISARM, end of
   * input) wakes it at once, so only a deadline needs the timeout.
   */
  private long waitNanos() {
    long wait = IDLE_WAIT_NANOS;
    long now = System.nanoTime();
    for (long d : deadlines.values()) {
      wait = Math.min(wait, d - now);
    }
    return Math.max(wait, 0);
  }

  private void readInput() {
    try (var in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8))) {
      String line;
      while ((line = in.readLine()) != null) {
        List<String> batch = new ArrayList<>();
        batch.add(line);
        while (in.ready() && (line = in.readLine()) != null) {
          batch.add(line);
        }
        batches.add(batch);
      }
    } catch (IOException e) {
      System.err.println("watchdog: agent pipe broken: " + e.getMessage());
    }
    eof = true;
  }

  private void handle(String line) {
    String[] p = line.split("\t", 3);
    try {
      switch (p[0]) {
        case "PLAN" -> plans.put(p[1], FencePlan.decode(p[2]));
        case "ARM" -> deadlines.put(p[1], Long.parseLong(p[2]));
        case "DISARM" -> deadlines.remove(p[1]);
        default -> System.err.println("watchdog: ignoring unknown line: " + line);
      }
    } catch (IOException | RuntimeException e) {
      System.err.println("watchdog: ignoring bad line (" + e + "): " + line);
    }
  }

  private void fireDue() throws InterruptedException {
    long now = System.nanoTime();
    for (var e : Map.copyOf(deadlines).entrySet()) {
      if (now - e.getValue() >= 0) {
        deadlines.remove(e.getKey());
        fence(e.getKey());
      }
    }
  }

  private void fence(String group) throws InterruptedException {
    FencePlan plan = plans.get(group);
    if (plan == null) {
      return; // armed before anything was started here: nothing to stop, nothing to report
    }
    StringBuilder summary = new StringBuilder();
    for (FenceStep s : plan.steps()) {
      Shell.Result r = Shell.run(s.command(), s.env(), Duration.ofMillis(s.timeoutMillis()));
      summary.append("'").append(s.command()).append("' ").append(r.summary()).append("; ");
    }
    System.out.println("FENCED\t" + group + "\t" + summary.toString().replace('\n', ' '));
    System.out.flush();
  }
}
