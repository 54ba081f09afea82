package tandem.backup;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import org.gaul.s3proxy.AuthenticationType;
import org.gaul.s3proxy.S3Proxy;
import org.jclouds.ContextBuilder;
import org.jclouds.blobstore.BlobStore;
import org.jclouds.blobstore.BlobStoreContext;
import tandem.config.RepositoryLocation;

/**
 * A real S3 server for tests: S3Proxy (an S3 API implementation in Java) over jclouds' in-memory
 * blob store, on 127.0.0.1 at a free port, with V4 signatures checked against one access key.
 */
final class S3Server implements AutoCloseable {
  static final String ACCESS_KEY = "tandem-test-access";
  static final String SECRET_KEY = "tandem-test-secret-key-0123456789";

  private final BlobStoreContext context;
  private final S3Proxy proxy;

  private S3Server(BlobStoreContext context, S3Proxy proxy) {
    this.context = context;
    this.proxy = proxy;
  }

  static S3Server start() throws Exception {
    BlobStoreContext context = ContextBuilder.newBuilder("transient").credentials("unused", "unused")
        .build(BlobStoreContext.class);
    S3Proxy proxy = S3Proxy.builder().blobStore(context.getBlobStore()).endpoint(URI.create("http://127.0.0.1:0"))
        .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, ACCESS_KEY, SECRET_KEY).build();
    proxy.start();
    await().atMost(Duration.ofSeconds(20)).until(() -> proxy.getState().equals("STARTED"));
    return new S3Server(context, proxy);
  }

  URI endpoint() {
    return URI.create("http://127.0.0.1:" + proxy.getPort());
  }

  /** The server's objects, as the server holds them (to damage them behind tandem's back). */
  BlobStore blobs() {
    return context.getBlobStore();
  }

  void createBucket(String bucket) {
    blobs().createContainerInLocation(null, bucket);
  }

  RepositoryLocation.S3 location(String bucket, String prefix) {
    return new RepositoryLocation.S3(endpoint(), bucket, prefix);
  }

  /** A credentials file (AWS format, mode 600) with this server's key, or with {@code secret} instead. */
  static Path credentialsFile(Path dir, String secret) throws IOException {
    Path f = dir.resolve("s3-" + secret.hashCode() + ".credentials");
    Files.writeString(f, "[default]\naws_access_key_id = " + ACCESS_KEY + "\naws_secret_access_key = " + secret + "\n");
    Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-------"));
    return f;
  }

  @Override
  public void close() throws Exception {
    proxy.stop();
    context.close();
  }
}
