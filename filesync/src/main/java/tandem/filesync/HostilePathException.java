package tandem.filesync;

/**
 * A path (or symlink target) that tandem refuses to touch, with the exact {@link Problem}.
 *
 * <p>Checked on purpose: a caller that receives paths from a peer must decide what a refusal
 * means (drop the entry, report the peer), and must not mistake it for a disk error to retry.
 */
public final class HostilePathException extends Exception {
  private static final long serialVersionUID = 1L;

  /** Why a path was refused; each constant's text is what the message says. */
  public enum Problem {
    EMPTY("is empty"),
    ABSOLUTE("is absolute (starts with '/'); peers send paths relative to the replicated root"),
    TRAILING_SLASH("ends with '/'"),
    EMPTY_SEGMENT("has an empty segment ('//')"),
    DOT_SEGMENT("has a '.' or '..' segment, which could leave the replicated root"),
    NUL("contains a NUL character, which no Linux name can hold"),
    BAD_UTF16("is not valid Unicode (a lone surrogate), so it has no UTF-8 file name"),
    SEGMENT_TOO_LONG("has a segment over 255 UTF-8 bytes, the limit of a Linux file name"),
    PATH_TOO_LONG("is over 4096 UTF-8 bytes, the limit of a Linux path"),
    RESERVED("uses a name reserved by tandem ('.tandem-versions' at the top, '.tandem-tmp-*' anywhere)"),
    PARENT_NOT_DIRECTORY("has a parent on this node that is a symbolic link or not a directory; "
        + "tandem never writes through one (apply the parent's own entry first, or move it away)");

    private final String text;

    Problem(String text) {
      this.text = text;
    }

    public String text() {
      return text;
    }
  }

  private final Problem problem;
  private final String path;

  public HostilePathException(Problem problem, String path, String detail) {
    super("refused path " + RelPath.quote(path) + ": it " + problem.text() + (detail.isEmpty() ? "" : " (" + detail + ")"));
    this.problem = problem;
    this.path = path;
  }

  public Problem problem() {
    return problem;
  }

  /** The refused path as received (may hold control characters; use {@link RelPath#quote} to print it). */
  public String path() {
    return path;
  }
}
