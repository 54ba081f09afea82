package tandem.backup;

import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Copies snapshots into a second repository (an offsite copy), which has its own keys: every blob
 * is read, checked and stored again under the target's keys, trees rewritten with the target's ids.
 * A snapshot the target already holds (same time, host and backup name) is not copied again.
 */
public final class Copy {
  private final Repository from;
  private final Repository to;
  private final Map<String, String> ids = new HashMap<>();

  public Copy(Repository from, Repository to) {
    this.from = from;
    this.to = to;
  }

  /** Copies what the target lacks; returns how many snapshots were copied. */
  public int run() throws IOException {
    List<String> have = new ArrayList<>();
    for (Repository.StoredSnapshot s : to.snapshots()) {
      have.add(key(s.snapshot()));
    }
    int copied = 0;
    for (Repository.StoredSnapshot s : from.snapshots()) {
      if (have.contains(key(s.snapshot()))) {
        continue;
      }
      List<Model.Source> sources = new ArrayList<>();
      for (Model.Source src : s.snapshot().sources()) {
        sources.add(new Model.Source(src.group(), src.kind(), src.path(), tree(src.tree())));
      }
      Model.Snapshot old = s.snapshot();
      to.saveSnapshot(new Model.Snapshot(old.version(), old.time(), old.host(), old.backup(), sources, old.files(), old.bytes()));
      copied++;
    }
    return copied;
  }

  private static String key(Model.Snapshot s) {
    return s.time() + "|" + s.host() + "|" + s.backup();
  }

  private String tree(String id) throws IOException {
    String done = ids.get(id);
    if (done != null) {
      return done;
    }
    List<Model.Node> nodes = new ArrayList<>();
    for (Model.Node n : from.tree(id).nodes()) {
      List<String> content = null;
      if (n.content() != null) {
        content = new ArrayList<>();
        for (String c : n.content()) {
          String mapped = ids.get(c);
          if (mapped == null) {
            mapped = to.put(Repository.DATA, from.get(c));
            ids.put(c, mapped);
          }
          content.add(mapped);
        }
      }
      String subtree = n.subtree() == null ? null : tree(n.subtree());
      nodes.add(new Model.Node(n.name(), n.type(), n.mode(), n.mtimeNanos(), n.size(), n.target(), content, subtree, n.inode(),
          n.ctimeNanos()));
    }
    String mine = to.put(Repository.TREE, Repository.JSON.writeValueAsBytes(new Model.Tree(nodes)));
    ids.put(id, mine);
    return mine;
  }
}
