package tandem.config;

import java.time.Duration;
import java.util.List;

/** Reads the optional {@code failover:} section: the lease timing. */
final class FailoverReader {
  static final List<String> KEYS = List.of("lease", "renew-interval", "promote-margin");

  private FailoverReader() {}

  /** The settings with defaults filled in, or null when the section has problems. */
  static FailoverSettings read(Section top) {
    Section s = top.section("failover", KEYS);
    int mark = s.problems().mark();
    FailoverSettings d = FailoverSettings.DEFAULTS;
    Duration lease = s.duration("lease", d.lease());
    Duration renew = s.duration("renew-interval", d.renewInterval());
    Duration margin = s.durationOrZero("promote-margin", d.promoteMargin());
    if (!s.problems().noneSince(mark)) {
      return null;
    }
    FailoverSettings f = new FailoverSettings(lease, renew, margin);
    ConfigValidator.failover(f, s.problems());
    return f;
  }
}
