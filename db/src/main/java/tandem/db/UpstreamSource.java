package tandem.db;

/** Asks a group's primary for its database's connection facts ({@link DatabaseFactsService} answers). */
public interface UpstreamSource {
  /**
   * The facts of the {@code resource}-th database of {@code group} on {@code primary}.
   *
   * @throws DbException when the primary cannot be reached or refuses (not primary under that epoch, not running yet)
   */
  Upstream fetch(String group, int resource, DbPeers.Primary primary) throws DbException;
}
