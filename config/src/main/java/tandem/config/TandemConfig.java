package tandem.config;

import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import tandem.core.NodeName;

/**
 * The whole of one node's tandem.yaml: the cluster it belongs to, this node, cluster timing and the groups.
 *
 * @param cluster the cluster name, same pattern as a node name
 * @param node this node's identity and addresses
 * @param failover lease timing, the same on every node of the cluster
 * @param groups the groups by name, in file order; unmodifiable
 * @param file the absolute path this config was loaded from
 * @param logFormat how the agent writes its log ({@code log.format}); `tandem run --log-format` overrides it
 * @param backups the scheduled backups by name, in file order; unmodifiable
 * @param dns the authoritative DNS responder this node runs ({@code dns:}), if any
 * @param alerts where alerts go ({@code alerts:}), in file order; unmodifiable
 * @param api the REST API's access rules ({@code api:})
 * @param lagAlert when a replica is far enough behind for a warning ({@code lag-alert:})
 */
public record TandemConfig(
    String cluster, NodeConfig node, FailoverSettings failover, Map<String, GroupConfig> groups, Path file,
    LogFormat logFormat, Map<String, BackupConfig> backups, java.util.Optional<DnsConfig> dns,
    List<AlertTarget> alerts, ApiSettings api, LagAlert lagAlert) {

  /** A config with the default (text) log format and no backups. */
  public TandemConfig(String cluster, NodeConfig node, FailoverSettings failover, Map<String, GroupConfig> groups,
      Path file) {
    this(cluster, node, failover, groups, file, LogFormat.TEXT, Map.of());
  }

  /** A config without a DNS responder, without alert targets and with the default API access rules. */
  public TandemConfig(String cluster, NodeConfig node, FailoverSettings failover, Map<String, GroupConfig> groups,
      Path file, LogFormat logFormat, Map<String, BackupConfig> backups) {
    this(cluster, node, failover, groups, file, logFormat, backups, java.util.Optional.empty(), List.of(),
        ApiSettings.DEFAULT, LagAlert.DEFAULT);
  }

  public TandemConfig {
    if (!NodeName.isValid(cluster)) {
      throw new IllegalArgumentException(Names.invalid("cluster", cluster));
    }
    Objects.requireNonNull(node, "node");
    Objects.requireNonNull(failover, "failover");
    Objects.requireNonNull(file, "file");
    Objects.requireNonNull(logFormat, "logFormat");
    groups = Collections.unmodifiableMap(new LinkedHashMap<>(groups));
    backups = Collections.unmodifiableMap(new LinkedHashMap<>(backups));
    Objects.requireNonNull(dns, "dns");
    alerts = List.copyOf(alerts);
    Objects.requireNonNull(api, "api");
    Objects.requireNonNull(lagAlert, "lagAlert");
  }
}
