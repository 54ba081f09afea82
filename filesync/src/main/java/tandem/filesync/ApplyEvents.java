package tandem.filesync;

import java.time.Instant;
import tandem.core.Event;
import tandem.core.Level;

/** The events the applier emits, each a sentence a human can act on. */
final class ApplyEvents {
  private final ApplierOptions options;

  ApplyEvents(ApplierOptions options) {
    this.options = options;
  }

  void conflict(String rel, String copy) {
    emit(Level.WARNING, "file-conflict", RelPath.quote(rel) + " was changed on this node (" + options.node()
        + ") since it was last synced; the local version is kept as " + RelPath.quote(copy)
        + " and the primary's is applied. Compare the two and copy what you need on the primary.");
  }

  void keptNotEmpty(String rel) {
    emit(Level.WARNING, "file-conflict", "directory " + RelPath.quote(rel) + " was deleted on the primary but holds files"
        + " created on this node (" + options.node() + "); it is kept with them. Move them to the primary or delete them.");
  }

  /** CRITICAL: a peer sent a path that could escape the root or hit tandem's own files. */
  void hostile(HostilePathException e) {
    emit(Level.CRITICAL, "hostile-path", e.getMessage() + "; nothing was written. If the primary is healthy,"
        + " a bug or an attacker produced this path: check the primary's tandem version and its peers.");
  }

  private void emit(Level level, String kind, String message) {
    options.events().emit(new Event(Instant.now(options.clock()), level, kind, options.node(), options.group(), message));
  }
}
