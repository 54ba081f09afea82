package tandem.config;

import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.regex.Pattern;

/**
 * Where a backup repository lives: a directory (local disk, NFS) or a bucket of an S3 server
 * (AWS, or an S3-compatible one such as MinIO, Backblaze B2, Wasabi or Garage). Written in
 * tandem.yaml as {@code repository:} and in {@code copy-to:}, in restic's forms:
 * <ul>
 *   <li>{@code /backups/tandem}: a directory;
 *   <li>{@code s3://BUCKET/PREFIX}: AWS S3, the region from the credentials file or the AWS environment;
 *   <li>{@code s3:https://HOST[:PORT]/BUCKET/PREFIX}: any S3 server at that endpoint, path-style
 *       ({@code s3:HOST/BUCKET/PREFIX} means https).
 * </ul>
 * {@link #toString()} gives the form back, so messages name the repository as the user wrote it.
 */
public sealed interface RepositoryLocation {
  /** What the parse errors say is expected. */
  String FORMS = "an absolute directory (/backups/tandem), s3://BUCKET/PREFIX (AWS S3) or"
      + " s3:https://HOST[:PORT]/BUCKET/PREFIX (an S3-compatible server: MinIO, Backblaze B2, Wasabi, Garage...)";

  /** A repository in a directory. */
  record Directory(Path path) implements RepositoryLocation {
    @Override
    public String toString() {
      return path.toString();
    }
  }

  /**
   * A repository under {@code prefix} in {@code bucket}.
   *
   * @param endpoint the server's base URL (scheme, host, port), or null for AWS S3
   * @param bucket the bucket, which must exist
   * @param prefix the key prefix without leading or trailing '/', "" for the bucket's top
   */
  record S3(URI endpoint, String bucket, String prefix) implements RepositoryLocation {
    @Override
    public String toString() {
      String tail = bucket + (prefix.isEmpty() ? "" : "/" + prefix);
      return endpoint == null ? "s3://" + tail : "s3:" + endpoint + "/" + tail;
    }
  }

  /** Reads one of the forms above; IllegalArgumentException saying what is wrong (the caller names the key). */
  static RepositoryLocation parse(String text) {
    if (text.startsWith("s3://")) {
      return s3(null, text.substring("s3://".length()), text);
    }
    if (text.startsWith("s3:")) {
      String rest = text.substring("s3:".length());
      String url = rest.startsWith("http://") || rest.startsWith("https://") ? rest : "https://" + rest;
      int slash = url.indexOf('/', url.indexOf("//") + 2);
      if (slash < 0) {
        throw new IllegalArgumentException("'" + text + "' names no bucket after the server; expected " + FORMS);
      }
      URI endpoint;
      try {
        endpoint = new URI(url.substring(0, slash));
      } catch (URISyntaxException e) {
        throw new IllegalArgumentException("'" + text + "' has no valid server address (" + e.getReason() + "); expected "
            + FORMS);
      }
      if (endpoint.getHost() == null || endpoint.getRawUserInfo() != null || endpoint.getRawQuery() != null) {
        throw new IllegalArgumentException("'" + text + "' has no valid server address (write HOST or HOST:PORT, no user or"
            + " password: credentials go in s3-credentials-file or the AWS environment); expected " + FORMS);
      }
      return s3(endpoint, url.substring(slash + 1), text);
    }
    if (text.contains("://")) {
      throw new IllegalArgumentException("'" + text + "': tandem stores repositories in directories and on S3 servers only; "
          + "expected " + FORMS + " (mount other remote storage and give its path)");
    }
    if (!text.startsWith("/")) {
      throw new IllegalArgumentException("'" + text + "' is relative; expected " + FORMS);
    }
    try {
      return new Directory(Path.of(text).normalize());
    } catch (InvalidPathException e) {
      throw new IllegalArgumentException("'" + text + "' is not a valid path: " + e.getReason());
    }
  }

  /** Letters, digits, '.', '-', '_': what AWS and the S3-compatible servers accept (AWS is stricter: lowercase). */
  Pattern BUCKET = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{1,61}[A-Za-z0-9]");

  private static S3 s3(URI endpoint, String bucketAndPrefix, String text) {
    int slash = bucketAndPrefix.indexOf('/');
    String bucket = slash < 0 ? bucketAndPrefix : bucketAndPrefix.substring(0, slash);
    String prefix = slash < 0 ? "" : bucketAndPrefix.substring(slash + 1);
    while (prefix.endsWith("/")) {
      prefix = prefix.substring(0, prefix.length() - 1);
    }
    if (bucket.isEmpty()) {
      throw new IllegalArgumentException("'" + text + "' names no bucket; expected " + FORMS);
    }
    if (!BUCKET.matcher(bucket).matches()) {
      throw new IllegalArgumentException("'" + text + "': '" + bucket + "' is not a bucket name (3 to 63 letters, digits, '.',"
          + " '-'); expected " + FORMS);
    }
    for (String segment : prefix.isEmpty() ? new String[0] : prefix.split("/", -1)) {
      if (segment.isEmpty() || segment.equals(".") || segment.equals("..")) {
        throw new IllegalArgumentException("'" + text + "': the prefix '" + prefix + "' has an empty, '.' or '..' part; expected "
            + FORMS);
      }
    }
    return new S3(endpoint, bucket, prefix);
  }
}
