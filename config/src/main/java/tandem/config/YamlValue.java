package tandem.config;

import java.util.List;
import java.util.Map;

/**
 * A parsed YAML value, kept as written: every scalar is its source text, so "no", "0123" and "1e3" reach the readers
 * unchanged and each reader decides what a key's text means. YAML null and empty values are Java null.
 */
sealed interface YamlValue {

  /** A scalar's source text, never empty. */
  record Scalar(String text) implements YamlValue {}

  /** A map in file order; values may be null. */
  record Mapping(Map<String, YamlValue> entries) implements YamlValue {}

  /** A list; items may be null. */
  record Sequence(List<YamlValue> items) implements YamlValue {}

  /** How a value reads in a message: "a map", "a list", "'text'" or "nothing". */
  static String describe(YamlValue value) {
    return switch (value) {
      case null -> "nothing";
      case Scalar s -> "'" + s.text() + "'";
      case Mapping m -> "a map";
      case Sequence s -> "a list";
    };
  }
}
