package tandem.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import tandem.it.harness.OwnedCluster;
import tandem.it.harness.Ports;
import tandem.it.harness.TestCluster;

/**
 * The proxy resource on real agents: n1 and n2 (and the witness n3) each on a loopback address of
 * its own, so every node's proxy uses the same ports as on separate servers. Each data node has a
 * backend of its own that stays up the whole time and says which node it is: any connection that
 * reached a node that is not the primary would show at once. A client loop connects through every
 * node's proxy during a switchover and a kill -9 failover.
 */
class ProxyFailoverTest {
  private static final Map<String, String> HOST = Map.of("n1", "127.0.0.1", "n2", "127.0.0.2", "n3", "127.0.0.3");
  private static final List<String> DATA = List.of("n1", "n2");
  private static final Duration FAILOVER = Duration.ofSeconds(30);

  @RegisterExtension final OwnedCluster owned = new OwnedCluster();
  private final List<AutoCloseable> closeMe = new ArrayList<>();

  /** One connection the client loop made: through which node, when (nanoTime), which backend answered and when. */
  private record Sample(String via, long openedAt, String answer, long answeredAt) {}

  @Test
  void clientLoopThroughEveryProxy_followsSwitchoverAndKill9() throws Exception {
    long begun = System.nanoTime();
    int listen = freePort();
    int peer = freePort();
    Map<String, Integer> backend = new ConcurrentHashMap<>();
    for (String n : DATA) {
      ServerSocket s = backend(n);
      backend.put(n, s.getLocalPort());
    }
    TestCluster c = owned.own(TestCluster.create(TestCluster.runDir(getClass(), "proxy"), DATA, "n3", placement()));
    c.initAll();
    for (String n : DATA) {
      String proxy = "      - proxy: { listen: " + HOST.get(n) + ":" + listen + ", to: " + HOST.get(n) + ":" + backend.get(n)
          + ", peer-port: " + peer + " }\n";
      Files.writeString(c.node(n).config(), c.service().groupYaml("web", "n1: primary, n2: passive", proxy),
          StandardOpenOption.APPEND);
    }
    c.startAll();
    c.awaitRunning("web", "n1");

    long clusterUp = System.nanoTime();
    List<Sample> samples = new CopyOnWriteArrayList<>();
    Thread loop = Thread.ofVirtual().start(() -> clientLoop(listen, samples));
    try {
      await("both proxies reach n1").atMost(FAILOVER).until(() -> DATA.stream().allMatch(via ->
          samples.stream().anyMatch(s -> s.via.equals(via) && s.answer.equals("n1"))));

      // A switchover: n1 stays up, so its connections must be closed by the proxies themselves.
      List<BufferedReader> held = hold(listen, "n1");
      var r = c.cli("n1", "switchover", "web", "--to", "n2");
      assertThat(r.exitCode()).as("switchover: %s", r).isZero();
      long switched = System.nanoTime();
      held.forEach(in -> await("a connection to n1 closed after the switchover").atMost(FAILOVER).until(() -> ended(in)));
      await("new connections through both proxies reach n2").atMost(FAILOVER).until(() -> DATA.stream().allMatch(via ->
          samples.stream().anyMatch(s -> s.openedAt - switched > 0 && s.via.equals(via) && s.answer.equals("n2"))));
      assertThat(samples).filteredOn(s -> s.openedAt - switched > 0).extracting(Sample::answer)
          .as("answers to connections opened after the switchover").containsOnly("n2");

      // kill -9 of the new primary: n1 takes over; nothing reaches n2's backend, which is still up.
      held = hold(listen, "n2");
      long killed = System.nanoTime();
      c.kill9("n2");
      c.awaitStatus("n1", "n1 runs web", FAILOVER, st -> "n1".equals(TestCluster.group(st, "web").path("primary").asText())
          && "running".equals(TestCluster.member(st, "web", "n1").path("state").asText()));
      long failedOver = System.nanoTime();
      held.forEach(in -> await("a connection to n2 closed after its kill").atMost(FAILOVER).until(() -> ended(in)));
      await("new connections through n1's proxy reach n1").atMost(FAILOVER).until(() ->
          samples.stream().anyMatch(s -> s.openedAt - failedOver > 0 && s.via.equals("n1") && s.answer.equals("n1")));
      assertThat(samples).filteredOn(s -> s.openedAt - killed > 0).extracting(Sample::answer)
          .as("answers to connections opened after n2 was killed").doesNotContain("n2");
      assertThat(samples).filteredOn(s -> s.openedAt - failedOver > 0 && s.via.equals("n1")).extracting(Sample::answer)
          .as("answers through n1 to connections opened after the failover").containsOnly("n1");
      long firstAnswer = samples.stream().filter(s -> s.openedAt - killed > 0 && s.answer.equals("n1"))
          .mapToLong(Sample::answeredAt).min().orElseThrow();
      // A connection opened during the failover is held by the proxy and answered once n1 runs.
      System.out.printf("MEASURED proxy: kill -9 of the primary -> first answer from the new one to a connection opened after: %d ms"
          + " (%d connections in all); cluster up in %d ms, scenario %d ms%n", TimeUnit.NANOSECONDS.toMillis(firstAnswer - killed),
          samples.size(), TimeUnit.NANOSECONDS.toMillis(clusterUp - begun), TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - clusterUp));
    } finally {
      loop.interrupt();
      loop.join();
      for (AutoCloseable a : closeMe) {
        a.close();
      }
    }
  }

  /** Connects through every data node's proxy again and again, each connection reading the backend's name. */
  private static void clientLoop(int port, List<Sample> samples) {
    while (!Thread.currentThread().isInterrupted()) {
      for (String via : DATA) {
        long at = System.nanoTime();
        String answer;
        try (Socket s = new Socket()) {
          s.setSoTimeout(15_000);
          s.connect(new InetSocketAddress(HOST.get(via), port), 1000);
          String line = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.US_ASCII)).readLine();
          answer = line == null ? "closed" : line;
        } catch (IOException e) {
          answer = "failed";
        }
        samples.add(new Sample(via, at, answer, System.nanoTime()));
      }
      // Pace the loop (about 50 rounds a second): load shaping, not synchronisation.
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
    }
  }

  /** Two open connections through each data node's proxy, checked to reach {@code primary}. */
  private List<BufferedReader> hold(int port, String primary) throws IOException {
    List<BufferedReader> out = new ArrayList<>();
    for (String via : List.of("n1", "n2", "n1", "n2")) {
      Socket s = new Socket();
      closeMe.add(s);
      s.setSoTimeout(15_000);
      s.connect(new InetSocketAddress(HOST.get(via), port), 1000);
      BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.US_ASCII));
      assertThat(in.readLine()).as("backend reached through %s", via).isEqualTo(primary);
      out.add(in);
    }
    return out;
  }

  private static boolean ended(BufferedReader in) {
    try {
      return in.read() < 0;
    } catch (IOException e) {
      return true;
    }
  }

  /** A node's backend: says its node's name, then echoes; up for the whole test, whatever happens to the agent. */
  private ServerSocket backend(String node) throws IOException {
    ServerSocket server = new ServerSocket();
    server.bind(new InetSocketAddress(HOST.get(node), 0));
    closeMe.add(server);
    Thread.ofVirtual().start(() -> {
      while (!server.isClosed()) {
        try {
          Socket s = server.accept();
          Thread.ofVirtual().start(() -> {
            try (s; InputStream in = s.getInputStream(); OutputStream out = s.getOutputStream()) {
              out.write((node + "\n").getBytes(StandardCharsets.US_ASCII));
              in.transferTo(out);
            } catch (IOException e) {
              // The proxy closed it.
            }
          });
        } catch (IOException e) {
          return;
        }
      }
    });
    return server;
  }

  /** A port below the ephemeral range that is free on every node's address. */
  private static int freePort() {
    for (int attempt = 0; attempt < 1000; attempt++) {
      int p = Ports.random();
      if (HOST.values().stream().allMatch(h -> Ports.bindable(h, p))) {
        return p;
      }
    }
    throw new IllegalStateException("no free port found on " + HOST.values());
  }

  /** Every node on 127.0.0.0/8 with an address of its own; processes run as they are. */
  private static TestCluster.Placement placement() {
    return new TestCluster.Placement() {
      @Override
      public String address(String node) {
        return HOST.get(node);
      }

      @Override
      public List<String> command(String node, List<String> command) {
        return command;
      }
    };
  }
}
