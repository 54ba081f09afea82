package tandem.core;

/**
 * The fencing token of a group: a number that grows at every change of primary. Anything that
 * carries an epoch lower than the group's current one comes from a deposed primary and is refused.
 */
public record Epoch(long value) implements Comparable<Epoch> {
  public static final Epoch ZERO = new Epoch(0);

  public Epoch {
    if (value < 0) {
      throw new IllegalArgumentException("epoch must not be negative: " + value);
    }
  }

  public Epoch next() {
    return new Epoch(value + 1);
  }

  public boolean isBefore(Epoch other) {
    return value < other.value;
  }

  @Override
  public int compareTo(Epoch o) {
    return Long.compare(value, o.value);
  }

  @Override
  public String toString() {
    return Long.toString(value);
  }
}
