package tandem.testkit;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import tandem.core.Ticker;

/** A monotonic clock that only moves when a test advances it (Caffeine's FakeTicker). Thread-safe. */
public final class FakeTicker implements Ticker {
  /** An arbitrary start far from 0, so code that treats 0 as "never" is not fooled. */
  private final AtomicLong nanos = new AtomicLong(1_000_000_000_000L);

  @Override
  public long nanos() {
    return nanos.get();
  }

  public FakeTicker advance(Duration d) {
    nanos.addAndGet(d.toNanos());
    return this;
  }
}
