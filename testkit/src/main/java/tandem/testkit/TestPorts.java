package tandem.testkit;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Ports for servers a test starts itself (PostgreSQL, MariaDB) that must be named before they bind:
 * below Linux's ephemeral range (32768+), so no outgoing connection holds one, free on 127.0.0.1
 * when handed out, and never handed out twice in one JVM (two nodes of a test are given their ports
 * before either server starts, so "free now" alone could name the same port twice).
 */
public final class TestPorts {
  private static final Set<Integer> GIVEN = ConcurrentHashMap.newKeySet();

  private TestPorts() {}

  public static int take() {
    for (int i = 0; i < 1000; i++) {
      int p = 20_000 + ThreadLocalRandom.current().nextInt(12_000);
      if (!GIVEN.add(p)) {
        continue;
      }
      try (ServerSocket s = new ServerSocket(p, 1, InetAddress.getLoopbackAddress())) {
        return p;
      } catch (IOException taken) {
        // in use by something else: try another
      }
    }
    throw new IllegalStateException("no free port between 20000 and 32000 on 127.0.0.1");
  }
}
