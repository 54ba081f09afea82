package tandem.core;

import java.util.regex.Pattern;

/** The short name an operator gives a node ("n1", "db-2"); unique in a cluster. */
public record NodeName(String value) implements Comparable<NodeName> {
  private static final Pattern VALID = Pattern.compile("[a-z0-9][a-z0-9-]{0,62}");

  public NodeName {
    if (value == null || !VALID.matcher(value).matches()) {
      throw new IllegalArgumentException(
          "node name '" + value + "' is not valid: use 1-63 lower-case letters, digits or '-', starting with a letter or digit");
    }
  }

  public static boolean isValid(String value) {
    return value != null && VALID.matcher(value).matches();
  }

  @Override
  public int compareTo(NodeName o) {
    return value.compareTo(o.value);
  }

  @Override
  public String toString() {
    return value;
  }
}
