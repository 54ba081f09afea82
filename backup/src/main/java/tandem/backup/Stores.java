package tandem.backup;

import java.io.IOException;
import java.nio.file.Path;
import tandem.config.RepositoryLocation;

/** Opens the {@link Store} of a configured repository location. */
public final class Stores {
  private Stores() {}

  /**
   * The store at {@code location}; S3 locations use the access keys in {@code s3CredentialsFile}
   * (null: the AWS environment). Reaches no server yet: problems show at the first read or write.
   */
  public static Store open(RepositoryLocation location, Path s3CredentialsFile) throws IOException {
    return switch (location) {
      case RepositoryLocation.Directory d -> new LocalStore(d.path());
      case RepositoryLocation.S3 s -> S3Store.open(s, s3CredentialsFile);
    };
  }
}
