package tandem.filesync;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** A {@link Baseline} in a map: what the real Index would remember, for tests. */
final class MapBaseline implements Baseline {
  final Map<String, Recorded> records = new ConcurrentHashMap<>();

  @Override
  public Recorded recorded(String path) {
    return records.get(path);
  }

  @Override
  public void applied(FileEntry entry, LocalStat stat) {
    records.put(entry.path(), new Recorded(entry, stat, true));
  }

  @Override
  public void removed(String path) {
    records.remove(path);
  }
}
