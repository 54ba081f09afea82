package tandem.db.postgres;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import tandem.db.DbStatus;

/** Reads a running server's replication state: its WAL position, and a primary's view of each replica. */
final class PgStatus {
  private PgStatus() {}

  static DbStatus replica(Statement st, long tli) throws SQLException {
    ResultSet rs = st.executeQuery("SELECT pg_last_wal_receive_lsn(), pg_last_wal_replay_lsn(),"
        // The age of the last replayed commit is a delay only while there is more to replay: on a replica that has
        // replayed all it received it is the time since the primary's last commit, 25 s of "lag" on an idle primary.
        + " CASE WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0"
        + " ELSE COALESCE(EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp()), -1) END,"
        + " (SELECT status FROM pg_stat_wal_receiver LIMIT 1), (SELECT received_tli FROM pg_stat_wal_receiver LIMIT 1)");
    rs.next();
    long received = Lsn.parse(rs.getString(1));
    long replayed = Lsn.parse(rs.getString(2));
    String receiver = rs.getString(4);
    long receivedTli = rs.getLong(5);
    return new DbStatus("", 0, "postgres", "replica", receiver == null ? "not-streaming" : receiver,
        Math.max(received, replayed), replayed, Math.max(tli, receivedTli), rs.getDouble(3), List.of());
  }

  static DbStatus primary(Statement st, long tli) throws SQLException {
    ResultSet top = st.executeQuery("SELECT pg_current_wal_lsn()");
    top.next();
    long current = Lsn.parse(top.getString(1));
    List<DbStatus.ReplicaLag> replicas = new ArrayList<>();
    ResultSet rs = st.executeQuery("SELECT application_name, state, sync_state, replay_lsn,"
        + " COALESCE(pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn), -1), COALESCE(EXTRACT(EPOCH FROM replay_lag), 0)"
        + " FROM pg_stat_replication ORDER BY application_name");
    while (rs.next()) {
      replicas.add(new DbStatus.ReplicaLag(rs.getString(1), rs.getString(2), rs.getString(3), Lsn.parse(rs.getString(4)),
          rs.getLong(5), rs.getDouble(6)));
    }
    return new DbStatus("", 0, "postgres", "primary", "running", current, current, tli, 0, replicas);
  }
}
