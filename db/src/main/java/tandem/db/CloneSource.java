package tandem.db;

import java.io.InputStream;

/**
 * Opens a physical copy of the primary's database, streamed from the primary's agent (MariaDB:
 * mariadb-backup's xbstream), for an engine that clones without a connection of its own to the
 * primary's files. The stream is read once, to its end, and closed by the reader.
 */
public interface CloneSource {
  /** The copy of the {@code resource}-th database of {@code group} on {@code upstream}'s node. */
  InputStream open(String group, int resource, Upstream upstream) throws DbException;
}
