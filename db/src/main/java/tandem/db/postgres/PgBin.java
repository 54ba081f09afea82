package tandem.db.postgres;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Optional;
import java.util.stream.Stream;
import tandem.db.DbException;

/** Finds PostgreSQL's programs: the configured directory, or the highest version under /usr/lib/postgresql. */
public final class PgBin {
  static final Path DEBIAN = Path.of("/usr/lib/postgresql");

  private PgBin() {}

  /** The bin directory to use; throws saying how to install PostgreSQL or set {@code bin:}. */
  public static Path find(Optional<Path> configured) throws DbException {
    if (configured.isPresent()) {
      if (!Files.isExecutable(configured.get().resolve("pg_ctl"))) {
        throw new DbException("postgres.bin " + configured.get() + " holds no pg_ctl; set bin: to the directory of"
            + " PostgreSQL's programs, e.g. /usr/lib/postgresql/15/bin");
      }
      return configured.get();
    }
    try (Stream<Path> versions = Files.isDirectory(DEBIAN) ? Files.list(DEBIAN) : Stream.empty()) {
      return versions.filter(p -> p.getFileName().toString().matches("[0-9]+(\\.[0-9]+)?"))
          .filter(p -> Files.isExecutable(p.resolve("bin/initdb")))
          .max(Comparator.comparingDouble(p -> Double.parseDouble(p.getFileName().toString())))
          .map(p -> p.resolve("bin"))
          .orElseThrow(() -> new DbException("no PostgreSQL found under " + DEBIAN + "; install it (apt-get install"
              + " postgresql) or set postgres.bin to the directory of its programs"));
    } catch (IOException e) {
      throw new DbException("cannot look for PostgreSQL under " + DEBIAN + ": " + e.getMessage(), e);
    }
  }
}
