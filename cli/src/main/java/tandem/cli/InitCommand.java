package tandem.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import tandem.agent.ApiToken;
import tandem.config.ConfigLoader;
import tandem.config.ConfigWriter;
import tandem.config.HostPort;
import tandem.config.InitOptions;
import tandem.config.TandemConfig;
import tandem.core.NodeName;
import tandem.transport.NodeIdentity;

@Command(name = "init", description = "Make this node: write tandem.yaml, a key pair and certificate, an API token.")
final class InitCommand implements Callable<Integer> {
  @Mixin ConfigOption config;

  @Option(names = "--cluster", required = true, description = "the cluster's name, the same on every node") String cluster;
  @Option(names = "--node", required = true, description = "this node's name, unique in the cluster") String node;
  @Option(names = "--listen", required = true, description = "host:port for agent-to-agent traffic (Raft uses port+1)") String listen;
  @Option(names = "--api", required = true, description = "host:port of the REST API") String api;
  @Option(names = "--data-dir", description = "where tandem keeps its state (default: data, beside tandem.yaml)") Path dataDir;
  @Option(names = "--witness", description = "a node that only votes (a small third box for a two-server setup)") boolean witness;

  @Override
  public Integer call() throws Exception {
    Path file = config.path();
    if (!NodeName.isValid(node)) {
      throw new CliException(2, "--node '" + node + "' is not valid: use lower-case letters, digits and '-'");
    }
    HostPort l = parse("--listen", listen);
    HostPort a = parse("--api", api);
    Path data = dataDir != null ? dataDir.toAbsolutePath() : file.getParent().resolve("data");
    ConfigWriter.writeInitial(file, new InitOptions(cluster, new NodeName(node), l, a, data, witness));
    TandemConfig cfg = ConfigLoader.load(file);
    Files.createDirectories(cfg.node().dataDir());
    List<String> sans = new ArrayList<>(List.of(l.host(), a.host(), "localhost"));
    NodeIdentity id = NodeIdentity.create(cfg.node().dataDir(), new NodeName(node), sans);
    ApiToken.readOrCreate(cfg.node().dataDir());
    System.out.println("wrote " + file);
    System.out.println("node " + node + " has ID " + id.id().shortForm() + " (" + id.id().value() + ")");
    System.out.println("next: edit the groups in " + file.getFileName() + ", then either");
    System.out.println("  tandem run                          # the first node: starts a new cluster");
    System.out.println("  tandem join HOST:PORT --token T     # other nodes: T from `tandem invite` on a member, then `tandem run`");
    return 0;
  }

  private static HostPort parse(String opt, String v) {
    try {
      return HostPort.parse(v);
    } catch (IllegalArgumentException e) {
      throw new CliException(2, opt + ": " + e.getMessage());
    }
  }
}
