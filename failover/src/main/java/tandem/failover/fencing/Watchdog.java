package tandem.failover.fencing;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BiConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tandem.resource.FenceStep;

/**
 * The agent's handle on its fencing watchdog process ({@link WatchdogMain}). Started with the
 * agent in its own session (so a Ctrl-C to the agent's terminal does not kill it), it outlives
 * the agent on purpose: if the agent is killed while it holds a lease, the watchdog still stops
 * the group in time.
 */
public final class Watchdog implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(Watchdog.class);

  private final Process process;
  private final Writer in;

  private Watchdog(Process process, BiConsumer<String, String> onFenced) {
    this.process = process;
    this.in = new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
    Thread.ofVirtual().name("watchdog-out").start(() -> readFenced(onFenced));
  }

  /** Starts the watchdog JVM from the same class path; {@code onFenced(group, summary)} hears what it did. */
  public static Watchdog start(Path logFile, BiConsumer<String, String> onFenced) throws IOException {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    List<String> cmd = new ArrayList<>();
    if (Files.isExecutable(Path.of("/usr/bin/setsid"))) {
      cmd.add("/usr/bin/setsid");
    }
    cmd.addAll(List.of(java, "-Xmx16m", "-Xss256k", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
        "-XX:-UsePerfData", "-cp", System.getProperty("java.class.path"), WatchdogMain.class.getName()));
    Files.createDirectories(logFile.getParent());
    Process p = new ProcessBuilder(cmd)
        .redirectError(ProcessBuilder.Redirect.appendTo(logFile.toFile()))
        .start();
    LOG.info("fencing watchdog started (pid {})", p.pid());
    return new Watchdog(p, onFenced);
  }

  private void readFenced(BiConsumer<String, String> onFenced) {
    try (var out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
      String line;
      while ((line = out.readLine()) != null) {
        String[] p = line.split("\t", 3);
        if (p.length == 3 && p[0].equals("FENCED")) {
          onFenced.accept(p[1], p[2]);
        }
      }
    } catch (IOException e) {
      LOG.warn("lost the watchdog's output: {}", e.getMessage());
    }
  }

  public long pid() {
    return process.pid();
  }

  /** Gives the watchdog the steps that stop {@code group}. */
  public synchronized void plan(String group, List<FenceStep> steps) throws IOException {
    send("PLAN\t" + group + "\t" + new FencePlan(steps).encode());
  }

  /** Arms (or re-arms) {@code group}: fence at {@code deadlineNanos} unless re-armed or disarmed. */
  public synchronized void arm(String group, long deadlineNanos) throws IOException {
    send("ARM\t" + group + "\t" + deadlineNanos);
  }

  /** The group stopped here by the agent's own hand: nothing to fence. */
  public synchronized void disarm(String group) throws IOException {
    send("DISARM\t" + group);
  }

  public boolean alive() {
    return process.isAlive();
  }

  private void send(String line) throws IOException {
    if (!process.isAlive()) {
      throw new IOException("the fencing watchdog (pid " + process.pid() + ") is not running; exit code " + process.exitValue());
    }
    in.write(line + "\n");
    in.flush();
  }

  /** Closes the pipe: the watchdog exits once nothing is armed (the caller disarmed everything first). */
  @Override
  public void close() {
    try {
      in.close();
    } catch (IOException e) {
      LOG.debug("closing watchdog pipe: {}", e.getMessage());
    }
  }
}
