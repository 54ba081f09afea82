package tandem.db;

import java.io.IOException;

/**
 * Loads a dump taken by a backup into a new database on this node's server: the database is
 * created first (never one that exists, never on a read-only replica), the loader process reads
 * the dump on its standard input, and a failed load drops the database it created again.
 */
public interface DumpLoader {
  /** Creates the empty database {@code name}; refuses one that exists and a server that is a read-only replica. */
  void createDatabase(String name) throws IOException;

  /** Drops {@code name}, which {@link #createDatabase} made, after a failed load. */
  void dropDatabase(String name) throws IOException;

  /** Starts the program that reads a dump on its standard input into {@code database}. */
  Process load(String database) throws IOException;

  /** A database name tandem creates: letters, digits and _, starting with a letter or _, at most 63. */
  static String checkedName(String name) throws IOException {
    if (name == null || !name.matches("[A-Za-z_][A-Za-z0-9_]{0,62}")) {
      throw new IOException("'" + name + "' is not a database name tandem creates: use letters, digits and _ (at most 63),"
          + " starting with a letter or _");
    }
    return name;
  }
}
