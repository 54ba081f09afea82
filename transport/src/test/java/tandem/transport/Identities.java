package tandem.transport;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.List;
import tandem.core.NodeName;

/** Test fixture: creates node identities in a test's temporary directory. */
final class Identities {
  private final Path root;

  Identities(Path root) {
    this.root = root;
  }

  NodeIdentity create(String name, String... subjectAltNames) {
    try {
      return NodeIdentity.create(root.resolve(name), new NodeName(name), List.of(subjectAltNames));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
