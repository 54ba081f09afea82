package tandem.config;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLParser;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.yaml.snakeyaml.error.Mark;
import org.yaml.snakeyaml.error.MarkedYAMLException;

/** Turns YAML text into a {@link YamlValue} tree; the only class that touches Jackson. */
final class YamlTree {
  // A key written twice would otherwise silently keep the last value.
  private static final YAMLFactory FACTORY =
      YAMLFactory.builder().enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION).build();

  private YamlTree() {}

  /** The document's root value, or null after adding a problem (syntax error, empty file, two documents). */
  static YamlValue parse(String text, Problems problems) {
    try (JsonParser p = FACTORY.createParser(text)) {
      JsonToken first = p.nextToken();
      YamlValue root = first == null ? null : value(p, first, problems);
      if (root == null) {
        problems.add("", "the file is empty: it needs at least cluster: and node: "
            + "(tandem init writes a starting file)");
        return null;
      }
      if (p.nextToken() != null) {
        problems.add("", "line " + p.currentLocation().getLineNr()
            + " starts a second YAML document (after a '---' line); keep a single document");
        return null;
      }
      return root;
    } catch (JsonProcessingException e) {
      problems.add("", syntaxError(e));
      return null;
    } catch (IOException e) {
      throw new UncheckedIOException("reading YAML from a string", e);
    }
  }

  private static YamlValue value(JsonParser p, JsonToken token, Problems problems) throws IOException {
    return switch (token) {
      case START_OBJECT -> mapping(p, problems);
      case START_ARRAY -> sequence(p, problems);
      case VALUE_NULL -> null;
      default -> scalar(p, problems);
    };
  }

  private static YamlValue scalar(JsonParser p, Problems problems) throws IOException {
    // Jackson hands an alias (*name) over as the anchor's name, which would silently become the value.
    if (p instanceof YAMLParser y && y.isCurrentAlias()) {
      problems.add("", "line " + p.currentLocation().getLineNr() + ": the alias '*" + p.getText()
          + "' is not supported; write the value out in full");
      return null;
    }
    return p.getText().isEmpty() ? null : new YamlValue.Scalar(p.getText());
  }

  private static YamlValue mapping(JsonParser p, Problems problems) throws IOException {
    Map<String, YamlValue> entries = new LinkedHashMap<>();
    while (p.nextToken() == JsonToken.FIELD_NAME) {
      String key = p.currentName();
      entries.put(key, value(p, p.nextToken(), problems));
    }
    return new YamlValue.Mapping(Collections.unmodifiableMap(entries));
  }

  private static YamlValue sequence(JsonParser p, Problems problems) throws IOException {
    List<YamlValue> items = new ArrayList<>();
    for (JsonToken t = p.nextToken(); t != JsonToken.END_ARRAY; t = p.nextToken()) {
      items.add(value(p, t, problems));
    }
    return new YamlValue.Sequence(Collections.unmodifiableList(items));
  }

  private static String syntaxError(JsonProcessingException e) {
    if (e.getCause() instanceof MarkedYAMLException m && m.getProblemMark() != null) {
      Mark mark = m.getProblemMark();
      return at(mark.getLine() + 1, mark.getColumn() + 1) + m.getProblem() + hint(m.getProblem());
    }
    JsonLocation where = e.getLocation();
    String message = e.getOriginalMessage();
    if (message.startsWith("Duplicate field ")) {
      message = "key " + message.substring("Duplicate field ".length()) + " appears twice in the same map; keep one";
    }
    return where == null ? "YAML syntax error: " + message : at(where.getLineNr(), where.getColumnNr()) + message;
  }

  private static String at(int line, int column) {
    return "YAML syntax error at line " + line + ", column " + column + ": ";
  }

  private static String hint(String problem) {
    if (problem != null && problem.contains("mapping values are not allowed")) {
      return " (put a value that contains ': ' in quotes, or check the indentation of the line above)";
    }
    return "";
  }
}
