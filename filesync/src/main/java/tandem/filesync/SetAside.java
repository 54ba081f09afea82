package tandem.filesync;

import java.util.Optional;

/** Where the old content of a path went before the new one took its place (both may be empty). */
record SetAside(Optional<String> conflictCopy, Optional<String> version) {
  static final SetAside NOTHING = new SetAside(Optional.empty(), Optional.empty());

  static SetAside conflict(String rel) {
    return new SetAside(Optional.of(rel), Optional.empty());
  }

  static SetAside version(String rel) {
    return new SetAside(Optional.empty(), Optional.of(rel));
  }
}
