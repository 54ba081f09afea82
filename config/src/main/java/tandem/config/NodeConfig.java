package tandem.config;

import java.nio.file.Path;
import java.util.Objects;
import tandem.core.NodeName;

/**
 * This node's identity and the addresses it listens on.
 *
 * @param name this node's name, unique in the cluster
 * @param listen the agent-to-agent address
 * @param raft the Raft address: the listen host with {@code raft-port}, by default the listen port + 1
 * @param api the REST API address
 * @param dataDir where this node keeps its state; the loader makes it absolute, relative paths being taken from the
 *     config file's directory
 * @param witness true when this node only votes and holds no group
 */
public record NodeConfig(NodeName name, HostPort listen, HostPort raft, HostPort api, Path dataDir, boolean witness) {

  public NodeConfig {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(listen, "listen");
    Objects.requireNonNull(raft, "raft");
    Objects.requireNonNull(api, "api");
    Objects.requireNonNull(dataDir, "dataDir");
  }
}
