package tandem.config;

import java.util.ArrayList;
import java.util.List;

/** The problems found so far while reading one tandem.yaml; readers add to it instead of throwing. */
final class Problems {
  private final List<ConfigProblem> found = new ArrayList<>();

  void add(String path, String message) {
    found.add(new ConfigProblem(path, message));
  }

  /** A position to pass to {@link #noneSince} later. */
  int mark() {
    return found.size();
  }

  /** True when nothing was added since {@code mark}: the values read in between are all usable. */
  boolean noneSince(int mark) {
    return found.size() == mark;
  }

  boolean isEmpty() {
    return found.isEmpty();
  }

  List<ConfigProblem> list() {
    return List.copyOf(found);
  }

  /** The path of a key inside the map at {@code path}: "node" + "listen" is "node.listen". */
  static String child(String path, String key) {
    return path.isEmpty() ? key : path + "." + key;
  }

  /** The path of a list item: "groups.web.checks" + 1 is "groups.web.checks[1]". */
  static String item(String path, int index) {
    return path + "[" + index + "]";
  }
}
