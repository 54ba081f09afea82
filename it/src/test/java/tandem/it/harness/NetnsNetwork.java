package tandem.it.harness;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Assumptions;

/**
 * A small private network of Linux network namespaces standing in for separate servers: one
 * namespace per node, each with one veth whose other end sits on a bridge inside a hub namespace
 * this class also creates. Addresses come from 10.213.0.0/24, which exists only inside these
 * namespaces; nothing is added to the host's own namespace. Names start with {@code tdm<pid>-}
 * (the test JVM's pid), so leftovers of a crashed run are recognised and removed at the next start.
 *
 * <p>Faults are nftables rules inside a node's own namespace that silently drop what it exchanges
 * with the other nodes (as a cut cable or a firewall does, no resets), so the node's own API stays
 * reachable from inside it. {@link #close()} (also run by a JVM shutdown hook) deletes everything.
 */
public final class NetnsNetwork implements TestCluster.Placement, AutoCloseable {
  private static final String SUBNET = "10.213.0.";
  private static final String PREFIX = "tdm";

  private final String subnet;
  private final String prefix;
  private final Map<String, Integer> hosts = new LinkedHashMap<>();
  private final Thread hook = new Thread(this::close, "netns-teardown");
  private boolean closed;

  private NetnsNetwork() {
    this(PREFIX, SUBNET);
  }

  private NetnsNetwork(String namePrefix, String subnet) {
    this.subnet = subnet;
    this.prefix = namePrefix + ProcessHandle.current().pid() + "-";
  }

  /**
   * A network with one namespace per node name; aborts the calling test (JUnit assumption, with
   * the reason) where namespaces or nftables cannot work here.
   */
  public static NetnsNetwork create(List<String> nodes) {
    return create(nodes, PREFIX, SUBNET);
  }

  /**
   * As {@link #create(List)}, with namespace names starting with {@code namePrefix<pid>-} and
   * addresses from {@code subnet} (its first three octets and a dot, e.g. "10.216.0."), so tests of
   * different areas can run beside each other.
   */
  public static NetnsNetwork create(List<String> nodes, String namePrefix, String subnet) {
    Assumptions.assumeTrue(isRoot(), "network-namespace tests need root (ip netns); skipped");
    removeLeftovers(namePrefix);
    NetnsNetwork net = new NetnsNetwork(namePrefix, subnet);
    Runtime.getRuntime().addShutdownHook(net.hook);
    try {
      net.build(nodes);
    } catch (IOException e) {
      net.close();
      Assumptions.abort("network namespaces or nftables do not work here: " + e.getMessage());
    }
    return net;
  }

  private void build(List<String> nodes) throws IOException {
    String hub = hub();
    run("ip", "netns", "add", hub);
    run("ip", "-n", hub, "link", "set", "lo", "up");
    run("ip", "-n", hub, "link", "add", "br0", "type", "bridge");
    run("ip", "-n", hub, "link", "set", "br0", "up");
    int k = 1;
    for (String node : nodes) {
      hosts.put(node, k);
      String ns = ns(node);
      run("ip", "netns", "add", ns);
      run("ip", "-n", ns, "link", "set", "lo", "up");
      run("ip", "-n", hub, "link", "add", "v" + k, "type", "veth", "peer", "name", "eth0", "netns", ns);
      run("ip", "-n", hub, "link", "set", "v" + k, "master", "br0", "up");
      run("ip", "-n", ns, "addr", "add", subnet + k + "/24", "dev", "eth0");
      run("ip", "-n", ns, "link", "set", "eth0", "up");
      run("ip", "netns", "exec", ns, "nft", "add", "table", "inet", "tandemtest");
      k++;
    }
    // A bridge without STP forwards as soon as its ports are up; the agents' startup waits cover
    // the rest (there is no ping on every box).
  }

  /** The namespace of a node. */
  public String ns(String node) {
    if (!hosts.containsKey(node)) {
      throw new IllegalArgumentException("no namespace for " + node + " in " + hosts.keySet());
    }
    return prefix + node;
  }

  private String hub() {
    return prefix + "hub";
  }

  @Override
  public String address(String node) {
    ns(node);
    return subnet + hosts.get(node);
  }

  @Override
  public List<String> command(String node, List<String> command) {
    List<String> out = new ArrayList<>(List.of("ip", "netns", "exec", ns(node)));
    out.addAll(command);
    return out;
  }

  @Override
  public boolean directHttp() {
    return false;
  }

  // ---- faults ----------------------------------------------------------------------------------

  /** Cuts {@code node} off from every other node, both ways. */
  public void isolate(String node) throws IOException {
    List<String> others = hosts.keySet().stream().filter(n -> !n.equals(node)).toList();
    cut(node, others, true, true);
  }

  /**
   * Drops, inside {@code node}'s namespace, what it receives from ({@code in}) and/or sends to
   * ({@code out}) the {@code peers}; with only one direction the partition is asymmetric.
   */
  public void cut(String node, List<String> peers, boolean in, boolean out) throws IOException {
    String set = peers.stream().map(this::address).collect(Collectors.joining(", ", "{ ", " }"));
    StringBuilder script = new StringBuilder("flush table inet tandemtest\n");
    if (in) {
      script.append("add chain inet tandemtest in { type filter hook input priority -10; policy accept; }\n")
          .append("add rule inet tandemtest in ip saddr ").append(set).append(" drop\n");
    }
    if (out) {
      script.append("add chain inet tandemtest out { type filter hook output priority -10; policy accept; }\n")
          .append("add rule inet tandemtest out ip daddr ").append(set).append(" drop\n");
    }
    nft(node, script.toString());
  }

  /** Undoes every cut of {@code node}. */
  public void heal(String node) throws IOException {
    nft(node, "delete table inet tandemtest\nadd table inet tandemtest\n");
  }

  private void nft(String node, String script) throws IOException {
    Process p = new ProcessBuilder("ip", "netns", "exec", ns(node), "nft", "-f", "-").redirectErrorStream(true).start();
    p.getOutputStream().write(script.getBytes(StandardCharsets.UTF_8));
    p.getOutputStream().close();
    finish(p, "nft in " + ns(node) + ":\n" + script);
  }

  // ---- teardown --------------------------------------------------------------------------------

  /** Deletes this network's namespaces (the hub with its bridge, then every node's). */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    deleteMatching(prefix);
    try {
      Runtime.getRuntime().removeShutdownHook(hook);
    } catch (IllegalStateException shuttingDown) {
      // close() runs from the hook itself
    }
  }

  /** Namespaces {@code tdm<pid>-*} of a test JVM that is gone (a crashed earlier run). */
  private static void removeLeftovers(String namePrefix) {
    for (String name : namespaces()) {
      java.util.regex.Matcher m = java.util.regex.Pattern.compile("^" + namePrefix + "(\\d+)-.+").matcher(name);
      if (m.matches() && ProcessHandle.of(Long.parseLong(m.group(1))).isEmpty()) {
        System.out.println("removing leftover namespace " + name + " of a test run that is gone");
        delete(name);
      }
    }
  }

  private static void deleteMatching(String prefix) {
    namespaces().stream().filter(n -> n.startsWith(prefix)).forEach(NetnsNetwork::delete);
  }

  private static void delete(String ns) {
    try {
      run("ip", "netns", "del", ns);
    } catch (IOException e) {
      System.err.println("could not delete namespace " + ns + ": " + e.getMessage());
    }
  }

  private static List<String> namespaces() {
    try {
      Process p = new ProcessBuilder("ip", "netns", "list").redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      p.waitFor(10, TimeUnit.SECONDS);
      return out.lines().map(l -> l.split(" ")[0].strip()).filter(s -> !s.isEmpty()).toList();
    } catch (IOException e) {
      return List.of();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return List.of();
    }
  }

  private static boolean isRoot() {
    try {
      Process p = new ProcessBuilder("id", "-u").start();
      return new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip().equals("0");
    } catch (IOException e) {
      return false;
    }
  }

  private static void run(String... cmd) throws IOException {
    finish(new ProcessBuilder(cmd).redirectErrorStream(true).start(), String.join(" ", cmd));
  }

  private static void finish(Process p, String what) throws IOException {
    try {
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!p.waitFor(30, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new IOException(what + ": did not finish in 30s");
      }
      if (p.exitValue() != 0) {
        throw new IOException(what + ": exit " + p.exitValue() + ": " + out.strip());
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException(what + ": interrupted", e);
    }
  }
}
