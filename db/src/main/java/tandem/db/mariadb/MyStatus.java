package tandem.db.mariadb;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import tandem.db.DbStatus;

/**
 * Reads a running server's replication state. Positions are GTID sequence numbers (see
 * {@link Gtid#position}); a primary lists the replicas connected to it (their report_host is their
 * node name) but cannot see how far each has applied, so their lag is unknown (-1) there: each
 * replica reports its own.
 */
final class MyStatus {
  private MyStatus() {}

  static DbStatus replica(Statement st) throws SQLException {
    Map<String, String> s = MariadbEngine.slaveStatus(st);
    List<Gtid> applied;
    try (ResultSet rs = st.executeQuery("SELECT @@gtid_slave_pos")) {
      rs.next();
      applied = Gtid.list(rs.getString(1));
    }
    List<Gtid> received = new ArrayList<>(Gtid.list(s.getOrDefault("Gtid_IO_Pos", "")));
    received.addAll(applied);
    String io = s.getOrDefault("Slave_IO_Running", "");
    String sql = s.getOrDefault("Slave_SQL_Running", "");
    String state = s.isEmpty() ? "not-replicating" : io.equals("Yes") && sql.equals("Yes") ? "streaming"
        : io.equals("Connecting") ? "connecting" : !sql.equals("Yes") && !s.getOrDefault("Last_SQL_Error", "").isEmpty()
        ? "sql-error" : "stopped";
    String behind = s.getOrDefault("Seconds_Behind_Master", "");
    double lag = behind.isEmpty() ? -1 : Double.parseDouble(behind);
    return new DbStatus("", 0, "mariadb", "replica", state, Gtid.position(received), Gtid.position(applied), 0, lag, List.of());
  }

  static DbStatus primary(Statement st) throws SQLException {
    long position;
    boolean semiSync;
    try (ResultSet rs = st.executeQuery("SELECT @@gtid_binlog_pos, @@rpl_semi_sync_master_enabled")) {
      rs.next();
      position = Gtid.position(Gtid.list(rs.getString(1)));
      semiSync = rs.getBoolean(2);
    }
    Map<Long, String> names = new HashMap<>();
    try (ResultSet rs = st.executeQuery("SHOW SLAVE HOSTS")) {
      while (rs.next()) {
        names.put(rs.getLong("Server_id"), rs.getString("Host"));
      }
    }
    List<DbStatus.ReplicaLag> replicas = new ArrayList<>();
    for (String node : names.values().stream().sorted().toList()) {
      replicas.add(new DbStatus.ReplicaLag(node, "streaming", semiSync ? "semi-sync" : "async", -1, -1, -1));
    }
    return new DbStatus("", 0, "mariadb", "primary", "running", position, position, 0, 0, replicas);
  }
}
