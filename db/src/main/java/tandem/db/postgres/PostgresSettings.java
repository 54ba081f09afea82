package tandem.db.postgres;

import java.nio.file.Path;
import java.util.Map;
import java.util.Objects;

/**
 * Everything a {@link PostgresEngine} needs on one node.
 *
 * @param bin the directory of initdb, pg_ctl, pg_basebackup, pg_rewind and postgres
 * @param data the data directory
 * @param port the server's port
 * @param listenHost the address the server listens on besides 127.0.0.1 (this node's tandem host)
 * @param osUser the operating-system user the server runs as
 * @param node this node's name: the replica's application_name and slot name
 * @param parameters the user's settings, passed on as they are
 * @param secrets the file with tandem's role passwords (in tandem's data dir, mode 0600)
 * @param certificatePem the certificate the server presents (this node's own)
 * @param keyPem its private key
 */
public record PostgresSettings(Path bin, Path data, int port, String listenHost, String osUser, String node,
    Map<String, String> parameters, Path secrets, String certificatePem, String keyPem) {
  public PostgresSettings {
    Objects.requireNonNull(bin, "bin");
    data = data.toAbsolutePath().normalize();
    Objects.requireNonNull(listenHost, "listenHost");
    Objects.requireNonNull(osUser, "osUser");
    Objects.requireNonNull(node, "node");
    parameters = Map.copyOf(parameters);
    Objects.requireNonNull(secrets, "secrets");
    Objects.requireNonNull(certificatePem, "certificatePem");
    Objects.requireNonNull(keyPem, "keyPem");
  }

  @Override
  public String toString() {
    return "PostgresSettings[" + data + " :" + port + " as " + osUser + "]";
  }

  /** The directory beside the data dir for tandem's files that must not be copied with the data: TLS files, log. */
  Path support() {
    return data.resolveSibling(data.getFileName() + ".tandem");
  }

  /** This node's replication slot name on its primary: letters, digits and underscores only. */
  static String slotOf(String node) {
    return "tandem_" + node.toLowerCase(java.util.Locale.ROOT).replaceAll("[^a-z0-9_]", "_");
  }
}
