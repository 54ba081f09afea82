package tandem.it.harness;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * How the tests start an agent: as a user's {@code ./tandem run} does where it can, from the shaded
 * jar (cli/target/tandem.jar) with the agent's AOT cache (JDK 25+, trained once by
 * dev/aot-train.sh into it/target), which takes about 40% less CPU to start (2.6 s against 4.4 s
 * here); the ITs start an agent some eighty times, mostly three at once on two cores. Otherwise,
 * or when the jar is older than the modules on the test class path, from that class path.
 */
final class AgentLaunch {
  private static final List<String> SMALL = List.of("-XX:+UseSerialGC", "-Xmx192m", "-XX:TieredStopAtLevel=1");
  private static final List<String> PREFIX = prefix();

  private AgentLaunch() {}

  /** The command up to the first tandem argument (run, init...). */
  static List<String> command() {
    return PREFIX;
  }

  private static List<String> prefix() {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    List<String> fallback = new ArrayList<>(List.of(java));
    fallback.addAll(SMALL);
    fallback.addAll(List.of("-cp", TestCluster.classPath(), "tandem.cli.Main"));
    Path root = Path.of("").toAbsolutePath().getParent();
    Path jar = root.resolve("cli/target/tandem.jar");
    Path cache = Path.of("target", "tandem-agent.aot").toAbsolutePath();
    // Surefire runs two forks (it/pom.xml), which get here at the same moment on a fresh build: one
    // trains while the other waits on this lock, then finds the cache fresh. Without it both would
    // train at once into one file, which agents of the first may already have mapped.
    try (FileChannel ch = FileChannel.open(cache.resolveSibling("tandem-agent.aot.lock"), StandardOpenOption.CREATE,
        StandardOpenOption.WRITE); FileLock held = ch.lock()) {
      String why = unusable(jar, root);
      if (why == null && (!Files.exists(cache) || Files.getLastModifiedTime(cache).compareTo(Files.getLastModifiedTime(jar)) < 0)) {
        why = train(root, jar, cache, java);
      }
      if (why != null) {
        System.out.println("agents start from the test class path: " + why);
        return List.copyOf(fallback);
      }
    } catch (IOException e) {
      System.out.println("agents start from the test class path: " + e);
      return List.copyOf(fallback);
    }
    // The options the cache was trained with that must match (GC, object headers); the rest as before.
    List<String> out = new ArrayList<>(List.of(java, "--enable-native-access=ALL-UNNAMED", "--sun-misc-unsafe-memory-access=allow"));
    out.addAll(SMALL);
    out.addAll(List.of("-XX:+UseCompactObjectHeaders", "-XX:AOTCache=" + cache, "-Xlog:aot=off", "-Xlog:cds=off", "-jar",
        jar.toString()));
    System.out.println("agents start from " + jar + " with the AOT cache " + cache);
    return List.copyOf(out);
  }

  /** Why the jar cannot be used (null: it can): an older JDK, no jar, or a module jar newer than it. */
  private static String unusable(Path jar, Path root) throws IOException {
    if (Runtime.version().feature() < 25) {
      return "JDK " + Runtime.version().feature() + " has no AOT cache";
    }
    if (!Files.isRegularFile(jar) || !Files.isRegularFile(root.resolve("dev/aot-train.sh"))) {
      return "no " + jar;
    }
    FileTime built = Files.getLastModifiedTime(jar);
    for (String entry : TestCluster.classPath().split(java.io.File.pathSeparator)) {
      Path p = Path.of(entry);
      if (p.getFileName() != null && p.getFileName().toString().startsWith("tandem-") && p.toString().endsWith(".jar")
          && Files.getLastModifiedTime(p).compareTo(built) > 0) {
        return p + " is newer than " + jar + " (rebuild with mvn install)";
      }
    }
    return null;
  }

  /** Trains the cache as the launcher does, into a new file moved over the old one; null when it is written, else why not. */
  private static String train(Path root, Path jar, Path cache, String java) throws IOException {
    Path log = Path.of("target", "aot-train.log").toAbsolutePath();
    Path part = cache.resolveSibling(cache.getFileName() + "." + ProcessHandle.current().pid() + ".part");
    ProcessBuilder pb = new ProcessBuilder("bash", root.resolve("dev/aot-train.sh").toString(), jar.toString(), part.toString())
        .redirectErrorStream(true).redirectOutput(log.toFile());
    pb.environment().put("TANDEM_JDK", Path.of(java).getParent().getParent().toString());
    pb.environment().put("TANDEM_JDK_VERSION", Integer.toString(Runtime.version().feature()));
    Process p = pb.start();
    try {
      if (!p.waitFor(3, TimeUnit.MINUTES)) {
        p.destroyForcibly();
        return "training the AOT cache took over 3 minutes (" + log + ")";
      }
    } catch (InterruptedException e) {
      p.destroyForcibly();
      Thread.currentThread().interrupt();
      return "interrupted while training the AOT cache";
    }
    if (p.exitValue() != 0 || !Files.exists(part)) {
      Files.deleteIfExists(part);
      return "training the AOT cache failed: " + Files.readString(log).strip();
    }
    Files.move(part, cache, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    return null;
  }
}
