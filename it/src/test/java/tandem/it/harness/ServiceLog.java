package tandem.it.harness;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The shared log of a test service that every data node runs for a group. The group's start
 * command appends {@code start <node> <epoch> <wall-clock-nanos>} before it starts a background
 * {@code sleep}, and its stop command appends {@code stop <node> <epoch> <nanos> <by>} after it
 * killed it ({@code by} is "watchdog" when the fencing watchdog ran it, "agent" otherwise). Short
 * appends with O_APPEND are atomic, so the line order is the real order: a node's service can only
 * have run between its start line and its next stop line.
 */
public final class ServiceLog {
  private final Path dir;
  private final Path log;
  private final Path pids;
  /** The first line written during the current test (a shared cluster's log holds earlier tests too). */
  private volatile int testStartLine = 1;

  ServiceLog(Path dir) {
    this.dir = dir;
    this.log = dir.resolve("service.log");
    this.pids = dir.resolve("service-pids");
  }

  /** One line of the log. */
  public record Entry(String kind, String node, long epoch, long nanos, String by, int line) {
    public boolean isStart() {
      return kind.equals("start");
    }

    @Override
    public String toString() {
      return line + ": " + kind + " " + node + " epoch " + epoch + (by.isEmpty() ? "" : " by " + by);
    }
  }

  public Path file() {
    return log;
  }

  Path pidFile(String node) {
    return dir.resolve("svc-" + node + ".pid");
  }

  /** The start command: log, then a background sleep whose pid goes to a pidfile. */
  String startCommand() {
    return "echo \"start $TANDEM_NODE $TANDEM_EPOCH $(date +%s%N)\" >> " + log
        + "; sleep 3600 </dev/null >/dev/null 2>&1 & echo $! > " + dir + "/svc-$TANDEM_NODE.pid; echo $! >> " + pids;
  }

  /** The stop command: kill the sleep, then log who stopped it. */
  String stopCommand() {
    return "kill $(cat " + dir + "/svc-$TANDEM_NODE.pid 2>/dev/null) 2>/dev/null; rm -f " + dir + "/svc-$TANDEM_NODE.pid; "
        + "by=agent; tr '\\0' ' ' < /proc/$PPID/cmdline | grep -q WatchdogMain && by=watchdog; "
        + "echo \"stop $TANDEM_NODE $TANDEM_EPOCH $(date +%s%N) $by\" >> " + log;
  }

  /** A groups: section with one group of this service on the given nodes, e.g. "n1: primary, n2: passive". */
  public String groupYaml(String group, String nodes) {
    return groupYaml(group, nodes, "");
  }

  /** As {@link #groupYaml(String, String)}, with {@code before} (resource list items) ahead of the service. */
  public String groupYaml(String group, String nodes, String before) {
    return "\ngroups:\n  " + group + ":\n    nodes: { " + nodes + " }\n    resources:\n" + before + "      - service:\n"
        + "          start: " + yaml(startCommand()) + "\n"
        + "          stop: " + yaml(stopCommand()) + "\n";
  }

  private static String yaml(String s) {
    return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
  }

  /** Every line so far. */
  public List<Entry> entries() {
    List<Entry> out = new ArrayList<>();
    List<String> lines;
    try {
      lines = Files.exists(log) ? Files.readAllLines(log, StandardCharsets.UTF_8) : List.of();
    } catch (IOException e) {
      throw new IllegalStateException("cannot read " + log, e);
    }
    for (int i = 0; i < lines.size(); i++) {
      String[] p = lines.get(i).trim().split(" ");
      if (p.length < 4) {
        throw new AssertionError("malformed line " + (i + 1) + " in " + log + ": " + lines.get(i));
      }
      out.add(new Entry(p[0], p[1], Long.parseLong(p[2]), Long.parseLong(p[3]), p.length > 4 ? p[4] : "", i + 1));
    }
    return out;
  }

  /** The first entry of that kind and node, at or after line {@code fromLine} (1-based). */
  public Optional<Entry> find(String kind, String node, int fromLine) {
    return entries().stream().filter(e -> e.line() >= fromLine && e.kind().equals(kind) && e.node().equals(node)).findFirst();
  }

  public Optional<Entry> find(String kind, String node) {
    return find(kind, node, 1);
  }

  /** Marks the start of a test: overlap checks report only what happens from here on. */
  public void startTest() {
    testStartLine = size() + 1;
  }

  /** Number of lines so far (the next line will be this + 1). */
  public int size() {
    return entries().size();
  }

  /**
   * Asserts that no two nodes ran the service at once during this test: every start comes while
   * no other node runs it, and no node starts it twice without a stop in between. The whole log
   * is replayed (to know who ran it when the test began) but only this test's lines are judged.
   */
  public void assertNoOverlap() {
    List<Entry> all = entries();
    Set<String> running = new HashSet<>();
    List<String> problems = new ArrayList<>();
    for (Entry e : all) {
      if (e.isStart() && e.line() < testStartLine) {
        running.add(e.node());
      } else if (e.isStart()) {
        Set<String> others = new HashSet<>(running);
        others.remove(e.node());
        if (!others.isEmpty()) {
          problems.add("line " + e.line() + ": " + e.node() + " started (epoch " + e.epoch() + ") while " + others + " still ran it");
        }
        if (running.contains(e.node())) {
          problems.add("line " + e.line() + ": " + e.node() + " started again (epoch " + e.epoch() + ") without a stop");
        }
        running.add(e.node());
      } else {
        running.remove(e.node());
      }
    }
    assertThat(problems).as("overlapping service runs in %s (this test from line %d):%n%s", log, testStartLine, render(all))
        .isEmpty();
  }

  public static String render(List<Entry> entries) {
    StringBuilder sb = new StringBuilder();
    entries.forEach(e -> sb.append("  ").append(e).append('\n'));
    return sb.toString();
  }

  /** True when the node's service process (its pidfile's sleep) is alive. */
  public boolean isRunning(String node) {
    Path f = pidFile(node);
    try {
      if (!Files.exists(f)) {
        return false;
      }
      String text = Files.readString(f).strip();
      if (text.isEmpty()) {
        return false;
      }
      return ProcessHandle.of(Long.parseLong(text)).map(ProcessHandle::isAlive).orElse(false);
    } catch (IOException | NumberFormatException e) {
      return false;
    }
  }

  /**
   * What a power cut does to a node's service: kill it. Logged as a stop "by power-off", so the
   * log stays a true account of where the service ran.
   */
  public void powerOff(String node) throws IOException {
    Path f = pidFile(node);
    if (Files.exists(f)) {
      String text = Files.readString(f).strip();
      if (!text.isEmpty()) {
        ProcessHandle.of(Long.parseLong(text)).ifPresent(ProcessHandle::destroyForcibly);
      }
      Files.deleteIfExists(f);
    }
    long nanos = java.time.Instant.now().getEpochSecond() * 1_000_000_000L + java.time.Instant.now().getNano();
    Files.writeString(log, "stop " + node + " 0 " + nanos + " power-off\n", StandardCharsets.UTF_8,
        java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND);
  }

  /** Kills every service process any node started (test teardown). */
  void killAll() {
    try {
      if (!Files.exists(pids)) {
        return;
      }
      for (String line : Files.readAllLines(pids)) {
        if (line.isBlank()) {
          continue;
        }
        ProcessHandle.of(Long.parseLong(line.strip()))
            .filter(h -> h.info().command().map(c -> c.endsWith("sleep")).orElse(false))
            .ifPresent(ProcessHandle::destroyForcibly);
      }
    } catch (IOException | NumberFormatException e) {
      System.err.println("could not clean up service processes: " + e);
    }
  }
}
