package tandem.filesync;

/**
 * What a replica knows of its own sync.
 *
 * @param receiving true while a stream from the primary is open
 * @param primary the node that last sent, or "" if none yet
 * @param epoch the epoch of that stream
 * @param initialSync true while a full comparison is in progress
 * @param initialEntries entries the primary's full index holds (for progress)
 * @param initialBytes bytes it holds
 * @param appliedEntries entries applied since the agent started
 * @param appliedBytes file bytes applied since the agent started
 * @param conflicts conflict copies made since the agent started
 * @param receivedBytes bytes of file content received from the primary (inline or as chunks) since the agent started
 * @param lastAppliedMillis when the last batch was applied, 0 if never
 */
public record ReceiverStatus(boolean receiving, String primary, long epoch, boolean initialSync, long initialEntries,
    long initialBytes, long appliedEntries, long appliedBytes, long conflicts, long receivedBytes, long lastAppliedMillis) {

  /** Thread-safe counters behind a snapshot. */
  static final class Counters {
    private String primary = "";
    private long epoch;
    private boolean full;
    private long totalEntries;
    private long totalBytes;
    private long entries;
    private long bytes;
    private long conflicts;
    private long received;
    private long lastMillis;

    synchronized void connected(String primary, long epoch, boolean full, long totalEntries, long totalBytes) {
      this.primary = primary;
      this.epoch = epoch;
      this.full = full;
      this.totalEntries = totalEntries;
      this.totalBytes = totalBytes;
    }

    synchronized void fullDone() {
      full = false;
    }

    synchronized void applied(int n, long b, int c) {
      entries += n;
      bytes += b;
      conflicts += c;
      lastMillis = System.currentTimeMillis();
    }

    synchronized void received(long n) {
      received += n;
    }

    synchronized ReceiverStatus snapshot(boolean receiving) {
      return new ReceiverStatus(receiving, primary, epoch, full && receiving, totalEntries, totalBytes, entries, bytes,
          conflicts, received, lastMillis);
    }
  }
}
