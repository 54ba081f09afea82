package tandem.filesync;

/** What a replicated path is. Anything else (sockets, fifos, devices) is not replicated. */
public enum Kind {
  FILE,
  DIR,
  SYMLINK
}
