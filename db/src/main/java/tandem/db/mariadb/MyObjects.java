package tandem.db.mariadb;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The views and triggers of the databases a dump copies, which cannot travel with its tables: a
 * trigger keeps a table from being renamed into another schema, and a view loaded into a staging
 * schema would read the staging tables. So a replica's triggers are dropped before the swap
 * (harmless: it is read-only, nothing fires) and both are created again afterwards as the primary
 * defines them ({@code SHOW CREATE VIEW}, {@code SHOW CREATE TRIGGER}), views the primary no
 * longer has dropped. Stored routines and events are not copied: they stay as the clone made them.
 */
final class MyObjects {
  private MyObjects() {}

  /** Drops every trigger of {@code databases} on this (replica's) server. */
  static void dropTriggers(Statement local, Collection<String> databases) throws SQLException {
    for (String[] t : list(local, "SELECT TRIGGER_SCHEMA, TRIGGER_NAME FROM information_schema.TRIGGERS", "TRIGGER_SCHEMA",
        databases, "")) {
      local.execute("DROP TRIGGER IF EXISTS " + MyDumpCopy.name(t[0]) + "." + MyDumpCopy.name(t[1]));
    }
  }

  /** Makes the views and triggers of {@code databases} on the replica those of the primary. */
  static void copy(Statement primary, Statement local, Collection<String> databases) throws SQLException {
    List<String[]> views = list(primary, "SELECT TABLE_SCHEMA, TABLE_NAME FROM information_schema.VIEWS", "TABLE_SCHEMA",
        databases, " ORDER BY 1, 2");
    List<String> keep = views.stream().map(v -> v[0] + "." + v[1]).toList();
    for (String[] v : list(local, "SELECT TABLE_SCHEMA, TABLE_NAME FROM information_schema.VIEWS", "TABLE_SCHEMA", databases,
        "")) {
      if (!keep.contains(v[0] + "." + v[1])) {
        local.execute("DROP VIEW IF EXISTS " + MyDumpCopy.name(v[0]) + "." + MyDumpCopy.name(v[1]));
      }
    }
    Map<String[], String> create = new LinkedHashMap<>();
    for (String[] v : views) {
      try (ResultSet rs = primary.executeQuery("SHOW CREATE VIEW " + MyDumpCopy.name(v[0]) + "." + MyDumpCopy.name(v[1]))) {
        rs.next();
        create.put(v, rs.getString(2).replaceFirst("^CREATE ", "CREATE OR REPLACE "));
      }
    }
    createViews(local, create);
    dropTriggers(local, databases);
    for (String[] t : list(primary, "SELECT TRIGGER_SCHEMA, TRIGGER_NAME FROM information_schema.TRIGGERS", "TRIGGER_SCHEMA",
        databases, " ORDER BY EVENT_OBJECT_TABLE, ACTION_ORDER")) {
      try (ResultSet rs = primary.executeQuery("SHOW CREATE TRIGGER " + MyDumpCopy.name(t[0]) + "." + MyDumpCopy.name(t[1]))) {
        rs.next();
        local.execute("USE " + MyDumpCopy.name(t[0]));
        local.execute("SET SESSION sql_mode = " + MariadbEngine.quote(rs.getString(2)));
        local.execute(rs.getString(3));
      }
    }
  }

  /** A view may read another: what fails for want of one is tried again once the others exist. */
  private static void createViews(Statement local, Map<String[], String> create) throws SQLException {
    Map<String[], String> left = create;
    while (!left.isEmpty()) {
      Map<String[], String> failed = new LinkedHashMap<>();
      SQLException last = null;
      for (Map.Entry<String[], String> v : left.entrySet()) {
        try {
          local.execute("USE " + MyDumpCopy.name(v.getKey()[0]));
          local.execute(v.getValue());
        } catch (SQLException e) {
          failed.put(v.getKey(), v.getValue());
          last = e;
        }
      }
      if (failed.size() == left.size()) {
        throw last;
      }
      left = failed;
    }
  }

  private static List<String[]> list(Statement st, String select, String column, Collection<String> databases, String order)
      throws SQLException {
    List<String[]> out = new ArrayList<>();
    if (databases.isEmpty()) {
      return out;
    }
    String in = String.join(", ", databases.stream().map(MariadbEngine::quote).toList());
    try (ResultSet rs = st.executeQuery(select + " WHERE " + column + " IN (" + in + ")" + order)) {
      while (rs.next()) {
        out.add(new String[] {rs.getString(1), rs.getString(2)});
      }
    }
    return out;
  }
}
