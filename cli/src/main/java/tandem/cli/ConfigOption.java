package tandem.cli;

import java.nio.file.Path;
import picocli.CommandLine.Option;
import tandem.config.ConfigException;
import tandem.config.ConfigLoader;
import tandem.config.TandemConfig;

/** The --config option every command shares: $TANDEM_CONFIG, else ./tandem.yaml. */
final class ConfigOption {
  @Option(names = {"-c", "--config"}, description = "tandem.yaml to use (default: $TANDEM_CONFIG or ./tandem.yaml)")
  Path config;

  Path path() {
    if (config != null) {
      return config.toAbsolutePath();
    }
    String env = System.getenv("TANDEM_CONFIG");
    return Path.of(env != null && !env.isBlank() ? env : "tandem.yaml").toAbsolutePath();
  }

  TandemConfig load() {
    try {
      return ConfigLoader.load(path());
    } catch (ConfigException e) {
      throw new CliException(2, e.getMessage());
    }
  }
}
