package tandem.config;

import java.nio.file.Path;
import java.util.List;
import tandem.core.NodeName;

/** Reads the {@code node:} section: who this node is and where it listens. */
final class NodeReader {
  static final List<String> KEYS = List.of("name", "listen", "raft-port", "api", "data-dir", "witness");
  static final String DEFAULT_DATA_DIR = "data";

  private NodeReader() {}

  /** The node, or null when the section has problems (all of them reported). */
  static NodeConfig read(Section top, Path configDir) {
    if (!top.has("node")) {
      top.missing("node", "this node's name and addresses, e.g. node: { name: n1, listen: 10.0.0.1:7400, "
          + "api: 10.0.0.1:8400 }");
      return null;
    }
    Section s = top.section("node", KEYS);
    int mark = s.problems().mark();
    NodeName name = name(s);
    HostPort listen = s.hostPort("listen", "the address other agents reach this node on, e.g. listen: 10.0.0.1:7400");
    Integer raftPort = s.number("raft-port", null, 1, 65535);
    HostPort api = s.hostPort("api", "the address of the REST API, e.g. api: 10.0.0.1:8400");
    Path dataDir = s.has("data-dir") ? s.path("data-dir", configDir) : configDir.resolve(DEFAULT_DATA_DIR);
    Boolean witness = s.flag("witness", false);
    HostPort raft = listen == null ? null : raft(s, listen, raftPort);
    if (!s.problems().noneSince(mark) || s.broken()) {
      return null;
    }
    NodeConfig node = new NodeConfig(name, listen, raft, api, dataDir, witness);
    ConfigValidator.node(node, s.problems());
    return node;
  }

  private static NodeName name(Section s) {
    String text = s.required("name", "this node's name, unique in the cluster, e.g. name: n1");
    if (text != null && !NodeName.isValid(text)) {
      s.problem("name", Names.invalid("node", text));
      return null;
    }
    return text == null ? null : new NodeName(text);
  }

  private static HostPort raft(Section s, HostPort listen, Integer raftPort) {
    if (raftPort != null) {
      return new HostPort(listen.host(), raftPort);
    }
    if (s.has("raft-port")) {
      return null;
    }
    if (listen.port() == 65535) {
      s.problem("raft-port", "required when node.listen uses port 65535, since the default raft port is the "
          + "listen port + 1; give a free port, e.g. raft-port: 7401");
      return null;
    }
    return new HostPort(listen.host(), listen.port() + 1);
  }
}
