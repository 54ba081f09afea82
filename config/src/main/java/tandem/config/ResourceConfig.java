package tandem.config;

/** One thing a group needs in order to run, as configured under a group's {@code resources:}. */
public sealed interface ResourceConfig
    permits ServiceConfig, FilesConfig, PostgresConfig, MariadbConfig, VipConfig, ProxyConfig {
  /** The key that introduced this resource in tandem.yaml, e.g. "service". */
  String kind();
}
