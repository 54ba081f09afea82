package tandem.db.mariadb;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The application's accounts and grants, copied from a primary to a replica under {@code
 * replication: dump} (without a binlog, a CREATE USER on the primary reaches the replica no other
 * way, and the application could not log in after a failover). An account is described by its
 * {@code SHOW CREATE USER} and {@code SHOW GRANTS} (password hashes included); one that differs is
 * recreated with them, one the primary no longer has is dropped, and unchanged ones are not
 * touched. The server's own accounts and tandem's are left alone; roles are not copied.
 */
final class MyAccounts {
  private static final Set<String> OWN = Set.of("root", "mysql", "mariadb.sys", "PUBLIC", MariadbEngine.ADMIN,
      MariadbEngine.REPLICATION);

  private MyAccounts() {}

  /** Makes the accounts of {@code replica} those of {@code primary}; returns how many were created, changed or dropped. */
  static int copy(Statement primary, Statement replica) throws SQLException {
    Map<String, List<String>> want = read(primary);
    Map<String, List<String>> have = read(replica);
    int changed = 0;
    for (String account : have.keySet()) {
      if (!want.containsKey(account)) {
        replica.execute("DROP USER " + account);
        changed++;
      }
    }
    for (Map.Entry<String, List<String>> e : want.entrySet()) {
      if (e.getValue().equals(have.get(e.getKey()))) {
        continue;
      }
      List<String> statements = e.getValue();
      // SHOW CREATE USER's text, as OR REPLACE: the account comes back with exactly the primary's grants.
      replica.execute(statements.getFirst().replaceFirst("^CREATE USER ", "CREATE OR REPLACE USER "));
      for (String grant : statements.subList(1, statements.size())) {
        replica.execute(grant);
      }
      changed++;
    }
    return changed;
  }

  /**
   * The accounts, other than the server's own and tandem's, that can write past read_only: those
   * granted SUPER or READ_ONLY ADMIN globally (MariaDB 10.11's SUPER includes READ_ONLY ADMIN). A
   * read-only replica does not stop them, and only the fence's global read lock stops them on an
   * old primary. root@localhost (the package's, reached through the socket) is not listed.
   */
  static List<String> pastReadOnly(Statement st) throws SQLException {
    List<String> out = new ArrayList<>();
    try (ResultSet rs = st.executeQuery("SELECT DISTINCT GRANTEE FROM information_schema.USER_PRIVILEGES WHERE PRIVILEGE_TYPE IN"
        + " ('SUPER', 'READ_ONLY ADMIN', 'READ ONLY ADMIN') ORDER BY 1")) {
      while (rs.next()) {
        String grantee = rs.getString(1);
        String user = grantee.substring(1, grantee.indexOf("'@'"));
        String host = grantee.substring(grantee.indexOf("'@'") + 3, grantee.length() - 1);
        boolean packageRoot = user.equals("root") && List.of("localhost", "127.0.0.1", "::1").contains(host);
        if (!packageRoot && (user.equals("root") || !OWN.contains(user))) {
          out.add(grantee);
        }
      }
    }
    return out;
  }

  /** Each account ("`user`@`host`") with its CREATE USER statement first, then its grants. */
  private static Map<String, List<String>> read(Statement st) throws SQLException {
    List<String> accounts = new ArrayList<>();
    try (ResultSet rs = st.executeQuery("SELECT User, Host FROM mysql.user WHERE is_role = 'N' ORDER BY 1, 2")) {
      while (rs.next()) {
        if (!OWN.contains(rs.getString(1))) {
          accounts.add(MyDumpCopy.name(rs.getString(1)) + "@" + MyDumpCopy.name(rs.getString(2)));
        }
      }
    }
    Map<String, List<String>> out = new LinkedHashMap<>();
    for (String account : accounts) {
      List<String> statements = new ArrayList<>();
      try (ResultSet rs = st.executeQuery("SHOW CREATE USER " + account)) {
        while (rs.next()) {
          statements.add(rs.getString(1));
        }
      }
      try (ResultSet rs = st.executeQuery("SHOW GRANTS FOR " + account)) {
        while (rs.next()) {
          statements.add(rs.getString(1));
        }
      }
      out.put(account, statements);
    }
    return out;
  }
}
