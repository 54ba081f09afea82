package tandem.it.harness;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Ports for the servers the tests start (agents, databases, backends). They come from below
 * Linux's ephemeral range (32768+), where an outgoing connection (agents open many) could take a
 * port between this check and the server's bind, and each surefire fork draws from a slice of its
 * own ({@code tandem.it.fork} of {@code tandem.it.forks}, set in it/pom.xml): a port checked free in
 * one fork stays unbound for seconds (a replica's database binds only after its clone), and the
 * other fork must not pick it meanwhile.
 */
public final class Ports {
  private static final int LOW = 20_000;
  private static final int HIGH = 32_000;

  private Ports() {}

  /** A random port of this fork's slice, not checked. */
  public static int random() {
    int forks = Math.max(1, Integer.getInteger("tandem.it.forks", 1));
    int fork = Math.min(forks, Math.max(1, Integer.getInteger("tandem.it.fork", 1)));
    int width = (HIGH - LOW) / forks;
    return LOW + (fork - 1) * width + ThreadLocalRandom.current().nextInt(width);
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
