package tandem.db.mariadb;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.zip.CRC32;

/**
 * Everything a {@link MariadbEngine} needs on one node.
 *
 * @param bin the directory tried first for mariadbd, mariadb-install-db, mariadb-backup, mbstream,
 *     mariadb-binlog; then /usr/sbin, /usr/bin, /usr/local/mysql/bin
 * @param data the data directory
 * @param port the server's port
 * @param listenHost the address the server listens on besides 127.0.0.1 (this node's tandem host)
 * @param osUser the operating-system user the server runs as (mariadbd --user)
 * @param node this node's name: the replica's report_host, and the source of its server_id
 * @param databases the databases replicas apply; empty: all
 * @param parameters the user's settings, passed on as they are
 * @param secrets the file with tandem's account passwords (in tandem's data dir, mode 0600)
 * @param certificatePem the certificate the server presents (this node's own for the database)
 * @param keyPem its private key
 * @param dumpInterval zero: binlog replication by GTID; else replicas take a consistent dump of the
 *     primary this often instead, and no binlog is written
 */
public record MariadbSettings(Path bin, Path data, int port, String listenHost, String osUser, String node,
    List<String> databases, Map<String, String> parameters, Path secrets, String certificatePem, String keyPem,
    java.time.Duration dumpInterval) {
  /** Settings for binlog replication by GTID. */
  public MariadbSettings(Path bin, Path data, int port, String listenHost, String osUser, String node,
      List<String> databases, Map<String, String> parameters, Path secrets, String certificatePem, String keyPem) {
    this(bin, data, port, listenHost, osUser, node, databases, parameters, secrets, certificatePem, keyPem,
        java.time.Duration.ZERO);
  }

  public MariadbSettings {
    Objects.requireNonNull(bin, "bin");
    data = data.toAbsolutePath().normalize();
    Objects.requireNonNull(listenHost, "listenHost");
    Objects.requireNonNull(osUser, "osUser");
    Objects.requireNonNull(node, "node");
    databases = List.copyOf(databases);
    parameters = Map.copyOf(parameters);
    Objects.requireNonNull(secrets, "secrets");
    Objects.requireNonNull(certificatePem, "certificatePem");
    Objects.requireNonNull(keyPem, "keyPem");
    if (dumpInterval.isNegative()) {
      throw new IllegalArgumentException("dumpInterval must not be negative, not " + dumpInterval);
    }
  }

  /** True when replicas copy the primary by periodic dumps (no binlog anywhere). */
  boolean dumps() {
    return !dumpInterval.isZero();
  }

  @Override
  public String toString() {
    return "MariadbSettings[" + data + " :" + port + " as " + osUser + "]";
  }

  /** The directory beside the data dir for tandem's files that must not be copied with the data: my.cnf, TLS, socket, log. */
  Path support() {
    return data.resolveSibling(data.getFileName() + ".tandem");
  }

  /**
   * This node's server_id: from its name, so every node of a group has its own without
   * coordination (1 .. 2^31-1; two names colliding is a one in a billion chance per pair).
   */
  long serverId() {
    CRC32 crc = new CRC32();
    crc.update(node.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    long id = crc.getValue() & 0x7fffffffL;
    return id == 0 ? 1 : id;
  }
}
