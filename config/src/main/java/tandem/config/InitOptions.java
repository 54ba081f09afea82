package tandem.config;

import java.nio.file.Path;
import java.util.Objects;
import tandem.core.NodeName;

/**
 * What {@code tandem init} needs to write a first tandem.yaml for a node.
 *
 * @param cluster the cluster name
 * @param node this node's name
 * @param listen the agent-to-agent address
 * @param api the REST API address
 * @param dataDir written as given; a relative path is taken from the config file's directory when loaded
 * @param witness true for a node that only votes
 */
public record InitOptions(String cluster, NodeName node, HostPort listen, HostPort api, Path dataDir, boolean witness) {

  public InitOptions {
    if (!Names.valid(cluster)) {
      throw new IllegalArgumentException(Names.invalid("cluster", cluster));
    }
    Objects.requireNonNull(node, "node");
    Objects.requireNonNull(listen, "listen");
    Objects.requireNonNull(api, "api");
    Objects.requireNonNull(dataDir, "dataDir");
  }
}
