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
 * The stored routines, views, triggers and events of the databases a dump copies, which do not
 * travel with its tables: a trigger keeps a table from being renamed into another schema, a view
 * loaded into a staging schema would read the staging tables, and routines and events belong to
 * the live schema, which a swap keeps. So a replica's triggers are dropped before the swap
 * (harmless: it is read-only, nothing fires) and all four are made afterwards as the primary
 * defines them ({@code SHOW CREATE ...}): what the primary no longer has is dropped, what differs
 * is created again, what is the same is left alone. Routines come first, since a view may call a
 * function. An event the primary runs is created {@code DISABLE ON SLAVE} here, as binlog
 * replication does, so a replica's event scheduler never runs it; promotion enables it again
 * ({@link #enableEvents}). Oracle-mode packages are not copied.
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

  /** Makes the routines, views, triggers and events of {@code databases} on the replica those of the primary. */
  static void copy(Statement primary, Statement local, Collection<String> databases) throws SQLException {
    String mode;
    try (ResultSet rs = local.executeQuery("SELECT @@SESSION.sql_mode, @@SESSION.time_zone")) {
      rs.next();
      mode = "SET SESSION sql_mode = " + MariadbEngine.quote(rs.getString(1)) + ", time_zone = "
          + MariadbEngine.quote(rs.getString(2));
    }
    // Each definition is created under its own sql_mode (and an event under its time zone); the views after them under the session's.
    copyRoutines(primary, local, databases);
    local.execute(mode);
    copyViewsAndTriggers(primary, local, databases);
    copyEvents(primary, local, databases);
    local.execute(mode);
  }

  /**
   * On promotion: every event a replica holds disabled because the primary ran it ({@code
   * SLAVESIDE_DISABLED}, MySQL: {@code REPLICA_SIDE_DISABLED}) is enabled, so scheduled work goes on on the new primary; returns their names.
   */
  static List<String> enableEvents(Statement st) throws SQLException {
    List<String> names = new ArrayList<>();
    try (ResultSet rs = st.executeQuery("SELECT EVENT_SCHEMA, EVENT_NAME FROM information_schema.EVENTS"
        + " WHERE STATUS IN ('SLAVESIDE_DISABLED', 'REPLICA_SIDE_DISABLED') ORDER BY 1, 2")) {
      while (rs.next()) {
        names.add(MyDumpCopy.name(rs.getString(1)) + "." + MyDumpCopy.name(rs.getString(2)));
      }
    }
    for (String name : names) {
      st.execute("ALTER EVENT " + name + " ENABLE");
    }
    return names;
  }

  /** Procedures and functions: dropped when the primary has them no more, created again when they differ. */
  private static void copyRoutines(Statement primary, Statement local, Collection<String> databases) throws SQLException {
    String select = "SELECT ROUTINE_SCHEMA, ROUTINE_NAME, ROUTINE_TYPE FROM information_schema.ROUTINES WHERE ROUTINE_TYPE IN"
        + " ('PROCEDURE', 'FUNCTION') AND ROUTINE_SCHEMA";
    Map<String, String[]> want = definitions(primary, select, databases, 3);
    Map<String, String[]> have = definitions(local, select, databases, 3);
    for (String key : have.keySet()) {
      if (!want.containsKey(key)) {
        local.execute("DROP " + key);
      }
    }
    replaceChanged(local, want, have);
  }

  /** Events: as the primary's, but one the primary runs is {@code DISABLE ON SLAVE} here. */
  private static void copyEvents(Statement primary, Statement local, Collection<String> databases) throws SQLException {
    String select = "SELECT EVENT_SCHEMA, EVENT_NAME, 'EVENT' FROM information_schema.EVENTS WHERE EVENT_SCHEMA";
    Map<String, String[]> want = definitions(primary, select, databases, 4);
    Map<String, String[]> have = definitions(local, select, databases, 4);
    for (String key : have.keySet()) {
      if (!want.containsKey(key)) {
        local.execute("DROP " + key);
      }
    }
    want.replaceAll((key, d) -> new String[] {d[0], d[1], ENABLED.matcher(d[2]).replaceFirst(" DISABLE ON SLAVE$1"), d[3]});
    replaceChanged(local, want, have);
  }

  /** An event's status in its SHOW CREATE EVENT text, when it runs. */
  private static final java.util.regex.Pattern ENABLED = java.util.regex.Pattern.compile(" ENABLE( (COMMENT '|DO ))");

  private static void replaceChanged(Statement local, Map<String, String[]> want, Map<String, String[]> have)
      throws SQLException {
    for (Map.Entry<String, String[]> e : want.entrySet()) {
      String[] w = e.getValue();
      String[] h = have.get(e.getKey());
      if (h != null && java.util.Arrays.equals(w, h)) {
        continue;
      }
      local.execute("USE " + w[0]);
      local.execute("SET SESSION sql_mode = " + MariadbEngine.quote(w[1]));
      if (w.length > 3) {
        local.execute("SET SESSION time_zone = " + MariadbEngine.quote(w[3]));
      }
      local.execute(w[2].replaceFirst("^CREATE ", "CREATE OR REPLACE "));
    }
  }

  /**
   * Each object ("PROCEDURE `db`.`name`") of {@code databases} that {@code select} lists (schema,
   * name, type), with its schema, its sql_mode and its SHOW CREATE text (column {@code createColumn}).
   */
  private static Map<String, String[]> definitions(Statement st, String select, Collection<String> databases,
      int createColumn) throws SQLException {
    Map<String, String[]> out = new LinkedHashMap<>();
    if (databases.isEmpty()) {
      return out;
    }
    String in = String.join(", ", databases.stream().map(MariadbEngine::quote).toList());
    List<String[]> objects = new ArrayList<>();
    try (ResultSet rs = st.executeQuery(select + " IN (" + in + ") ORDER BY 1, 2, 3")) {
      while (rs.next()) {
        objects.add(new String[] {rs.getString(1), rs.getString(2), rs.getString(3)});
      }
    }
    for (String[] o : objects) {
      String key = o[2] + " " + MyDumpCopy.name(o[0]) + "." + MyDumpCopy.name(o[1]);
      try (ResultSet rs = st.executeQuery("SHOW CREATE " + key)) {
        if (rs.next()) {
          // An event's text has its time zone in column 3: its STARTS and ENDS are written in it.
          out.put(key, createColumn == 4
              ? new String[] {MyDumpCopy.name(o[0]), rs.getString(2), rs.getString(4), rs.getString(3)}
              : new String[] {MyDumpCopy.name(o[0]), rs.getString(2), rs.getString(createColumn)});
        }
      }
    }
    return out;
  }

  private static void copyViewsAndTriggers(Statement primary, Statement local, Collection<String> databases)
      throws SQLException {
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
