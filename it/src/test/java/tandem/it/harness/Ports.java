package tandem.it.harness;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.channels.FileChannel;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Ports for the servers the tests start (agents, databases, backends). They come from below
 * Linux's ephemeral range (32768+), where an outgoing connection (agents open many) could take a
 * port between this check and the server's bind, and each surefire fork (it/pom.xml runs
 * {@code tandem.it.forks} of them) draws from a slice of its own: a port checked free in one fork
 * stays unbound for seconds (a replica's database binds only after its clone), and the other fork
 * must not pick it meanwhile. A fork's slice is the first of target/ports-slice-N.lock it can lock;
 * it holds that lock as long as it runs.
 */
public final class Ports {
  private static final int LOW = 20_000;
  private static final int HIGH = 32_000;
  private static final int FORKS = Math.max(1, Integer.getInteger("tandem.it.forks", 1));
  /** The lock that makes a slice this JVM's; open for the JVM's life (an unreachable channel is closed). */
  private static FileChannel held;
  private static final int SLICE = slice();

  private Ports() {}

  private static int slice() {
    if (FORKS == 1) {
      return 0;
    }
    for (int k = 0; k < FORKS; k++) {
      try {
        FileChannel ch = FileChannel.open(Path.of("target", "ports-slice-" + k + ".lock"), StandardOpenOption.CREATE,
            StandardOpenOption.WRITE);
        if (ch.tryLock() != null) {
          held = ch;
          return k;
        }
        ch.close();
      } catch (IOException | OverlappingFileLockException e) {
        // the next slice
      }
    }
    System.out.println("no port slice lock could be taken under target/; this fork draws from slice 0");
    return 0;
  }

  /** A random port of this fork's slice, not checked. */
  public static int random() {
    int width = (HIGH - LOW) / FORKS;
    return LOW + SLICE * width + ThreadLocalRandom.current().nextInt(width);
  }

  /** A port of this fork's slice that is free on 127.0.0.1 and not in {@code taken}; added to it. */
  public static int free(Set<Integer> taken) {
    for (int attempt = 0; attempt < 1000; attempt++) {
      int p = random();
      if (!taken.contains(p) && bindable("127.0.0.1", p)) {
        taken.add(p);
        return p;
      }
    }
    throw new IllegalStateException("no free port found on 127.0.0.1 in this fork's range");
  }

  /** Whether a server could bind {@code host:port} now. */
  public static boolean bindable(String host, int port) {
    try (ServerSocket s = new ServerSocket()) {
      s.setReuseAddress(true);
      s.bind(new InetSocketAddress(InetAddress.getByName(host), port));
      return true;
    } catch (IOException e) {
      return false;
    }
  }
}
