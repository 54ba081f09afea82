package tandem.db.mariadb;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import tandem.db.DbException;
import tandem.db.DbSecrets;
import tandem.db.Upstream;

/** What {@link MariadbEngine} and {@link MysqlEngine} do alike: accounts, connections, the fence's kills, the binlog's files. */
final class MyShared {
  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(MyShared.class);

  private MyShared() {}

  /** The connection facts replicas need, with this node's server as their upstream. */
  static Upstream upstream(MariadbSettings s, String node, String host, long epoch) throws DbException {
    try {
      DbSecrets secrets = DbSecrets.read(s.secrets());
      if (secrets == null) {
        throw new DbException("no passwords in " + s.secrets() + "; this node did not bootstrap or clone the database");
      }
      return new Upstream(node, host, s.port(), MariadbEngine.REPLICATION, secrets.replication(), MariadbEngine.ADMIN,
          secrets.admin(), s.certificatePem(), epoch);
    } catch (IOException e) {
      throw new DbException("cannot read " + s.secrets() + ": " + e.getMessage(), e);
    }
  }

  /** Keeps the primary's passwords for tandem's accounts (a replica's accounts are the primary's). */
  static void keepCredentials(MariadbSettings s, Upstream u, String accounts) throws DbException {
    try {
      DbSecrets have = DbSecrets.read(s.secrets());
      DbSecrets now = new DbSecrets(u.replicationPassword(), u.adminPassword());
      if (!now.equals(have)) {
        now.write(s.secrets(), accounts);
      }
    } catch (IOException e) {
      throw new DbException("cannot write " + s.secrets() + ": " + e.getMessage(), e);
    }
  }

  /**
   * A connection as tandem_admin to {@code database} (empty: none chosen) on this node's server
   * over 127.0.0.1. MySQL's caching_sha2_password hands out its RSA key for an account's first
   * login without TLS (nobody sits between two ends of the loopback); MariaDB's logins never ask.
   */
  static Connection admin(MariadbSettings s, Optional<String> database, Duration timeout) throws SQLException {
    DbSecrets secrets;
    try {
      secrets = DbSecrets.read(s.secrets());
    } catch (IOException e) {
      throw new SQLException("cannot read " + s.secrets() + ": " + e.getMessage(), e);
    }
    if (secrets == null) {
      throw new SQLException("no passwords in " + s.secrets());
    }
    Properties p = new Properties();
    p.setProperty("user", MariadbEngine.ADMIN);
    p.setProperty("password", secrets.admin());
    p.setProperty("allowPublicKeyRetrieval", "true");
    p.setProperty("connectTimeout", Long.toString(Math.max(1, timeout.toMillis())));
    p.setProperty("socketTimeout", "180000");
    return DriverManager.getConnection("jdbc:mariadb://127.0.0.1:" + s.port() + "/" + database.orElse(""), p);
  }

  /** An account's connection to another node's server over TLS, its certificate pinned to {@code cert}. */
  static Connection pinned(Path cert, String host, String port, String user, String password, int connectMillis,
      int socketMillis) throws SQLException {
    Properties p = new Properties();
    p.setProperty("user", user);
    p.setProperty("password", password);
    p.setProperty("sslMode", "verify-ca");
    p.setProperty("serverSslCert", cert.toString());
    p.setProperty("connectTimeout", Integer.toString(connectMillis));
    p.setProperty("socketTimeout", Integer.toString(socketMillis));
    return DriverManager.getConnection("jdbc:mariadb://" + host + ":" + port + "/", p);
  }

  /** The one row of SHOW SLAVE STATUS or SHOW REPLICA STATUS by column name; empty when the server replicates from no one. */
  static Map<String, String> row(Statement st, String show) throws SQLException {
    Map<String, String> out = new HashMap<>();
    try (ResultSet rs = st.executeQuery(show)) {
      if (rs.next()) {
        for (int i = 1; i <= rs.getMetaData().getColumnCount(); i++) {
          String v = rs.getString(i);
          out.put(rs.getMetaData().getColumnLabel(i), v == null ? "" : v);
        }
      }
    }
    return out;
  }

  /** Kills every connection but this session's, the server's own threads' and the replicas' binlog dumps ({@code dumps}). */
  static void killClients(Statement st, String dumps) throws SQLException {
    List<Long> ids = new ArrayList<>();
    try (ResultSet rs = st.executeQuery("SELECT ID FROM information_schema.PROCESSLIST WHERE ID <> CONNECTION_ID()"
        + " AND COMMAND NOT IN ('Daemon', " + dumps + ", 'Slave_IO', 'Slave_SQL', 'Slave_worker')"
        + " AND USER NOT IN ('system user', 'event_scheduler')")) {
      while (rs.next()) {
        ids.add(rs.getLong(1));
      }
    }
    for (long id : ids) {
      try {
        st.execute("KILL CONNECTION " + id);
      } catch (SQLException gone) {
        // it ended by itself meanwhile
      }
    }
  }

  /**
   * After the fence, waits (at most {@code atMost}) until no binlog dump of {@code dumps} is in
   * another state than {@code allSent}: every connected replica has been sent all of the binlog.
   */
  static void awaitBinlogSent(Statement st, String dumps, String allSent, Duration atMost, String describe)
      throws SQLException {
    long deadline = System.nanoTime() + atMost.toNanos();
    while (true) {
      try (ResultSet rs = st.executeQuery("SELECT count(*) FROM information_schema.PROCESSLIST WHERE COMMAND IN (" + dumps
          + ") AND STATE <> '" + allSent + "'")) {
        rs.next();
        if (rs.getLong(1) == 0) {
          return;
        }
      }
      if (System.nanoTime() - deadline > 0) {
        LOG.warn("{}: a replica had not been sent the whole binlog after {}; shutting down anyway", describe, atMost);
        return;
      }
      java.util.concurrent.locks.LockSupport.parkNanos(20_000_000L);
      if (Thread.currentThread().isInterrupted()) {
        return;
      }
    }
  }

  /** The server's binlog files in order, from binlog.index in its data dir. */
  static List<String> binlogFiles(Path data) throws IOException {
    List<String> out = new ArrayList<>();
    for (String line : Files.readAllLines(data.resolve("binlog.index"))) {
      if (!line.isBlank()) {
        out.add(data.resolve(line.trim()).normalize().toString());
      }
    }
    return out;
  }
}
