package tandem.db;

import java.util.Objects;

/**
 * Where a replica streams from, with what credentials: the facts the primary's agent hands to
 * members over mutual TLS. {@link #toString()} leaves the passwords out, so the record can be
 * logged.
 *
 * @param node the primary's node name
 * @param host the host its database listens on
 * @param port its port
 * @param replicationUser the role replicas stream as
 * @param replicationPassword its password
 * @param adminUser tandem's admin role (rewind, monitoring)
 * @param adminPassword its password
 * @param certificatePem the certificate the server presents; replicas verify against exactly it
 * @param epoch the group's epoch under which {@code node} is primary
 */
public record Upstream(String node, String host, int port, String replicationUser, String replicationPassword,
    String adminUser, String adminPassword, String certificatePem, long epoch) {
  public Upstream {
    Objects.requireNonNull(node, "node");
    Objects.requireNonNull(host, "host");
    Objects.requireNonNull(replicationPassword, "replicationPassword");
    Objects.requireNonNull(adminPassword, "adminPassword");
    Objects.requireNonNull(certificatePem, "certificatePem");
  }

  @Override
  public String toString() {
    return "Upstream[" + node + " " + host + ":" + port + " epoch " + epoch + "]";
  }
}
