package tandem.config;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.regex.Pattern;

/** Writes the first, commented tandem.yaml of a new node, for {@code tandem init}. */
public final class ConfigWriter {
  // Plain YAML scalars that need no quotes: no spaces, '#', quotes, brackets or leading '~', '-', '&', '*'...
  private static final Pattern PLAIN = Pattern.compile("[A-Za-z0-9/._][A-Za-z0-9/._:+=@-]*");

  private ConfigWriter() {}

  /**
   * Writes a tandem.yaml for the node in {@code o}: the cluster, the node section, the failover defaults and an
   * example group as comments. The file loads with zero groups.
   *
   * @throws IOException when {@code file} exists already (it is never overwritten) or cannot be written
   * @throws IllegalArgumentException when the options would make a config that does not load, e.g. listen and api on
   *     one port; the message lists the problems
   */
  public static void writeInitial(Path file, InitOptions o) throws IOException {
    String text = render(o);
    try {
      ConfigLoader.parse(text, file);
    } catch (ConfigException e) {
      throw new IllegalArgumentException("tandem init would write a config that does not load: " + e.getMessage(), e);
    }
    Path parent = file.toAbsolutePath().getParent();
    if (parent != null) {
      Files.createDirectories(parent);
    }
    try {
      Files.writeString(file, text, StandardCharsets.UTF_8, StandardOpenOption.CREATE_NEW);
    } catch (FileAlreadyExistsException e) {
      throw new IOException(file + " already exists; tandem init never overwrites a config. Edit it, or move it "
          + "away and run tandem init again.", e);
    }
  }

  /** The text writeInitial writes. */
  static String render(InitOptions o) {
    return header(o) + node(o) + failover() + (o.witness() ? witnessGroups() : exampleGroups(o));
  }

  private static String header(InitOptions o) {
    return """
        # tandem.yaml of node %s in cluster %s, written by tandem init.
        # Unknown keys are errors, so a typo stops the agent instead of being ignored.

        cluster: %s

        """.formatted(o.node(), o.cluster(), quote(o.cluster()));
  }

  private static String node(InitOptions o) {
    return "node:\n"
        + setting("name: " + quote(o.node().value()), "unique in the cluster")
        + setting("listen: " + quote(o.listen().toString()), "agent-to-agent traffic; every other node must reach it")
        + setting("# raft-port: " + (o.listen().port() + 1), "Raft votes and log; default: the listen port + 1")
        + setting("api: " + quote(o.api().toString()), "REST API, dashboard and load balancer health checks")
        + setting("data-dir: " + quote(o.dataDir().toString()), "a relative path is taken from this file's directory")
        + setting("witness: " + o.witness(), "true: this node only votes and holds no group")
        + "\n";
  }

  private static String setting(String keyAndValue, String comment) {
    return "  " + keyAndValue + " ".repeat(Math.max(1, 30 - keyAndValue.length())) + "# " + comment + "\n";
  }

  private static String failover() {
    return """
        # Lease timing; it must be the same on every node. These are the defaults.
        # failover:
        #   lease: 2s              # how long a primary keeps its role without renewing; >= 3 x renew-interval
        #   renew-interval: 400ms  # how often the primary renews its lease
        #   promote-margin: 300ms  # extra wait for clock drift after a lease lapses, before a standby is promoted

        """;
  }

  private static String witnessGroups() {
    return "# A witness only votes: it holds no group, so this file has no groups: section.\n";
  }

  private static String exampleGroups(InitOptions o) {
    String other = o.node().value().equals("n2") ? "n1" : "n2";
    return """
        # Groups are the units of failover. To add one, remove the '# ' in front of the lines below and edit them.
        # groups:
        #   web:
        #     nodes: { %s: primary, %s: passive }   # modes: primary, active, passive, off
        #     failback: manual                       # manual or auto
        #     failback-after: 30s                    # with auto: how long the primary node must be healthy first
        #     resources:                             # started in order on promotion, stopped in reverse
        #       - files: { path: /var/www/uploads, exclude: ["*.tmp", "cache/"], versions: { keep: 14d } }
        #       - service: { start: systemctl start nginx, stop: systemctl stop nginx, timeout: 60s }
        #     checks:
        #       - http: http://127.0.0.1/health
        #         interval: 1s
        #         timeout: 500ms
        #         fall: 3                            # failures in a row before the check counts as failed
        #         rise: 2                            # successes in a row before it counts as passing again
        #       - tcp: 127.0.0.1:5432
        #         weight: -20
        #       - disk: { path: /var/lib, min-free: 10%% }
        #         on: node
        #         critical: true
        #     on-promote: /etc/tandem/hooks/promote.sh
        #     on-demote: /etc/tandem/hooks/demote.sh
        #     hook-timeout: 30s
        """.formatted(o.node(), other);
  }

  /** The value as a YAML scalar: plain when that reads back unchanged, double-quoted otherwise. */
  static String quote(String value) {
    if (PLAIN.matcher(value).matches() && !value.endsWith(":")) {
      return value;
    }
    StringBuilder sb = new StringBuilder("\"");
    for (char c : value.toCharArray()) {
      switch (c) {
        case '"' -> sb.append("\\\"");
        case '\\' -> sb.append("\\\\");
        case '\n' -> sb.append("\\n");
        case '\t' -> sb.append("\\t");
        default -> sb.append(c < 0x20 ? String.format("\\x%02x", (int) c) : String.valueOf(c));
      }
    }
    return sb.append('"').toString();
  }
}
