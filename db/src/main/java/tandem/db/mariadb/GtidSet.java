package tandem.db.mariadb;

/**
 * MySQL's GTID sets as the server prints them ({@code 3e11fa47-...:1-5:7,...:tag:1-3}, newlines
 * after the commas): how many transactions one holds. Sets are combined and compared by the
 * server itself (GTID_SUBTRACT), never here.
 */
final class GtidSet {
  private GtidSet() {}

  /**
   * The number of transactions in {@code set}: a position that grows along a history, as every
   * node of a group shares one (a replica holds a subset of its primary's set).
   *
   * @throws IllegalArgumentException when {@code set} is not a GTID set
   */
  static long count(String set) {
    long n = 0;
    if (set == null || set.isBlank()) {
      return 0;
    }
    for (String part : set.replace("\n", "").split(",")) {
      String[] w = part.trim().split(":");
      if (w.length < 2 || !w[0].matches("[0-9a-fA-F-]{36}")) {
        throw new IllegalArgumentException("'" + part.trim() + "' is not a GTID set item (uuid:interval...)");
      }
      for (int i = 1; i < w.length; i++) {
        if (w[i].matches("[0-9]+")) {
          n++;
        } else if (w[i].matches("[0-9]+-[0-9]+")) {
          String[] ab = w[i].split("-");
          n += Long.parseLong(ab[1]) - Long.parseLong(ab[0]) + 1;
        } else if (!w[i].matches("[a-z_][a-z0-9_]{0,31}")) {
          throw new IllegalArgumentException("'" + w[i] + "' in '" + part.trim() + "' is neither an interval nor a tag");
        }
      }
    }
    return n;
  }

  /** The set as one line, for messages and SQL. */
  static String oneLine(String set) {
    return set == null ? "" : set.replace("\n", "").trim();
  }
}
