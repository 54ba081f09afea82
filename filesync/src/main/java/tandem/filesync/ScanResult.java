package tandem.filesync;

import java.util.List;

/**
 * What one scan found and did to the index.
 *
 * @param changed entries that are new or differ from what the index held, now in the index with
 *     synced=false; sorted by path, so a directory comes before what it holds
 * @param deleted paths removed from the index because they are gone (or became excluded or a
 *     special file); sorted so what a directory holds comes before the directory
 * @param busy files that kept changing while being hashed; the index keeps their old entry, and
 *     they should be scanned again once writes settle
 * @param filesHashed files read and chunked
 * @param bytesHashed bytes read and chunked
 * @param skipped sockets, fifos and devices, which are never replicated
 * @param problems paths that could not be read; the index keeps what it had for them
 */
public record ScanResult(List<FileEntry> changed, List<String> deleted, List<String> busy, int filesHashed,
    long bytesHashed, int skipped, List<Problem> problems) {
  public ScanResult {
    changed = List.copyOf(changed);
    deleted = List.copyOf(deleted);
    busy = List.copyOf(busy);
    problems = List.copyOf(problems);
  }

  /** A path the scan could not read, and why (the I/O error's own words). */
  public record Problem(String path, String message) {}

  /** True when the scan changed nothing in the index. */
  public boolean nothingChanged() {
    return changed.isEmpty() && deleted.isEmpty();
  }
}
