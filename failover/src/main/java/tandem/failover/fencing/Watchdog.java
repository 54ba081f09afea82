package tandem.failover.fencing;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiConsumer;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tandem.resource.FenceStep;

/**
 * The agent's handle on its fencing watchdog process ({@link WatchdogMain}). Started with the
 * agent in its own session (so a Ctrl-C to the agent's terminal does not kill it), it outlives
 * the agent on purpose: if the agent is killed while it holds a lease, the watchdog still stops
 * the group in time. If the watchdog itself dies (killed by hand, out of memory), the next call
 * starts a new one and hands it every plan and deadline the old one held.
 */
public final class Watchdog implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(Watchdog.class);

  private final Path logFile;
  private final BiConsumer<String, String> onFenced;
  private final Map<String, String> plans = new LinkedHashMap<>();
  private final Map<String, Long> armed = new LinkedHashMap<>();
  private Process process;
  private Writer in;
  private boolean closed;

  private Watchdog(Path logFile, BiConsumer<String, String> onFenced) {
    this.logFile = logFile;
    this.onFenced = onFenced;
  }

  /** Starts the watchdog JVM from the same class path; {@code onFenced(group, summary)} hears what it did. */
  public static Watchdog start(Path logFile, BiConsumer<String, String> onFenced) throws IOException {
    Watchdog w = new Watchdog(logFile, onFenced);
    synchronized (w) {
      w.launch();
    }
    return w;
  }

  private void launch() throws IOException {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    List<String> cmd = new ArrayList<>();
    if (Files.isExecutable(Path.of("/usr/bin/setsid"))) {
      cmd.add("/usr/bin/setsid");
    }
    Files.createDirectories(logFile.getParent());
    // -Xshare:off: mapping the JDK's class data archive costs more (6 MiB of RSS) than loading
    // the few JDK classes this process needs.
    cmd.addAll(List.of(java, "-Xmx16m", "-Xss256k", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
        "-XX:-UsePerfData", "-XX:CICompilerCount=1", "-XX:ReservedCodeCacheSize=8m", "-Xshare:off",
        "-cp", classPath(), WatchdogMain.class.getName()));
    Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.appendTo(logFile.toFile())).start();
    process = p;
    in = new OutputStreamWriter(p.getOutputStream(), StandardCharsets.UTF_8);
    Thread.ofVirtual().name("watchdog-out").start(() -> readFenced(p));
    LOG.info("fencing watchdog started (pid {})", p.pid());
  }

  /**
   * A class path of only the watchdog's own classes, written beside its log: opening the agent's
   * whole jar (60 MB, tens of thousands of entries) costs the watchdog 9 MiB of RSS. Falls back to
   * the agent's class path when a class cannot be found or the file cannot be written; the
   * watchdog loads all its classes at start, so a missing one fails there, not at fencing time.
   */
  private String classPath() {
    Path jar = logFile.resolveSibling("watchdog.jar");
    // Written aside and moved in: a watchdog that outlived the previous agent still has the old file open.
    Path tmp = logFile.resolveSibling("watchdog.jar.tmp");
    ClassLoader loader = Watchdog.class.getClassLoader();
    try {
      writeJar(tmp, loader);
      Files.move(tmp, jar, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
      return jar.toString();
    } catch (IOException e) {
      LOG.info("watchdog runs from the agent's class path ({} not written: {})", jar, e.getMessage());
      return System.getProperty("java.class.path");
    }
  }

  private static void writeJar(Path file, ClassLoader loader) throws IOException {
    try (var out = new JarOutputStream(Files.newOutputStream(file))) {
      for (String c : WatchdogMain.CLASSES) {
        String entry = c.replace('.', '/') + ".class";
        try (var in = loader.getResourceAsStream(entry)) {
          if (in == null) {
            throw new IOException("class " + c + " not found");
          }
          out.putNextEntry(new JarEntry(entry));
          in.transferTo(out);
          out.closeEntry();
        }
      }
    }
  }

  private void readFenced(Process p) {
    try (var out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
      String line;
      while ((line = out.readLine()) != null) {
        String[] f = line.split("\t", 3);
        if (f.length == 3 && f[0].equals("FENCED")) {
          synchronized (this) {
            armed.remove(f[1]);
          }
          onFenced.accept(f[1], f[2]);
        }
      }
    } catch (IOException e) {
      LOG.warn("lost the watchdog's output: {}", e.getMessage());
    }
  }

  public synchronized long pid() {
    return process.pid();
  }

  /** Gives the watchdog the steps that stop {@code group}. */
  public synchronized void plan(String group, List<FenceStep> steps) throws IOException {
    String encoded = new FencePlan(steps).encode();
    plans.put(group, encoded);
    send("PLAN\t" + group + "\t" + encoded);
  }

  /** Arms (or re-arms) {@code group}: fence at {@code deadlineNanos} unless re-armed or disarmed. */
  public synchronized void arm(String group, long deadlineNanos) throws IOException {
    armed.put(group, deadlineNanos);
    send("ARM\t" + group + "\t" + deadlineNanos);
  }

  /** The group stopped here by the agent's own hand: nothing to fence. */
  public synchronized void disarm(String group) throws IOException {
    armed.remove(group);
    send("DISARM\t" + group);
  }

  public synchronized boolean alive() {
    return process.isAlive();
  }

  private void send(String line) throws IOException {
    if (closed) {
      throw new IOException("the fencing watchdog was closed");
    }
    if (!process.isAlive()) {
      restart();
      return; // the replay included this line's effect
    }
    try {
      in.write(line + "\n");
      in.flush();
    } catch (IOException e) {
      restart();
    }
  }

  /** Starts a new watchdog and replays every plan and deadline the dead one held. */
  private void restart() throws IOException {
    int code = process.isAlive() ? -1 : process.exitValue();
    LOG.error("the fencing watchdog (pid {}) died with exit code {}; starting a new one", process.pid(), code);
    launch();
    for (var e : plans.entrySet()) {
      in.write("PLAN\t" + e.getKey() + "\t" + e.getValue() + "\n");
    }
    for (var e : armed.entrySet()) {
      in.write("ARM\t" + e.getKey() + "\t" + e.getValue() + "\n");
    }
    in.flush();
  }

  /** Closes the pipe: the watchdog exits once nothing is armed (the caller disarmed everything first). */
  @Override
  public synchronized void close() {
    closed = true;
    try {
      in.close();
    } catch (IOException e) {
      LOG.debug("closing watchdog pipe: {}", e.getMessage());
    }
  }
}
