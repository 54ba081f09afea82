package tandem.backup;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.AwsSessionCredentials;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.profiles.Profile;
import software.amazon.awssdk.profiles.ProfileFile;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3ClientBuilder;
import software.amazon.awssdk.services.s3.model.CompletedPart;
import software.amazon.awssdk.services.s3.model.NoSuchBucketException;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.S3Object;
import tandem.config.RepositoryLocation;

/**
 * A repository under a prefix of an S3 bucket, on AWS or an S3-compatible server (MinIO,
 * Backblaze B2, Wasabi, Garage), through the AWS SDK over the JDK's HTTP client. File
 * {@code index/ID} is the object {@code PREFIX/index/ID}.
 *
 * <p><b>Durability and atomicity.</b> A PUT is atomic (an object appears whole or not at all) and
 * durable once acknowledged, so {@link #write} is one PUT and needs no temporary name; a file of
 * more than {@link #PART_BYTES} (a pack, a big index) is a multipart upload instead, its parts sent
 * {@link #PARTS_AT_ONCE} at a time, and likewise appears only whole, when the upload is completed.
 * One that fails is aborted; one cut short by a crash leaves parts no object shows, which a
 * bucket's lifecycle rule for incomplete multipart uploads removes (AWS and MinIO have one). The
 * repository's order (packs, then the index, then the snapshot) keeps crash safety as on disk.
 * Stores rely on read-after-write and list-after-write consistency, which AWS S3 (since December
 * 2020), MinIO and Garage give.
 *
 * <p><b>Create-if-absent.</b> {@link #create} checks (HEAD), then sends the PUT with
 * {@code If-None-Match: *}, which AWS S3 and servers that implement conditional writes refuse
 * when the object exists; a server that ignores the header (S3Proxy 2.6 does) would overwrite an
 * object created between the check and the PUT. Only init uses it (for {@code config}); locks do
 * not need it (see {@link RepoLock}).
 *
 * <p><b>Credentials.</b> From the {@code s3-credentials-file} (AWS shared credentials format:
 * the section named like the bucket, else {@code [default]}; keys aws_access_key_id,
 * aws_secret_access_key, optional aws_session_token and region), else from the AWS environment
 * (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, ~/.aws/credentials, an instance role).
 */
public final class S3Store implements Store {
  /** One client per server and identity for the life of the process: the agent pushes WAL every few seconds. */
  private static final Map<String, S3Client> CLIENTS = new ConcurrentHashMap<>();

  /** Files larger than this are uploaded in parts of this size (S3's minimum part is 5 MiB). */
  static final int PART_BYTES = 8 << 20;
  /** Parts of one file in flight at once. */
  static final int PARTS_AT_ONCE = 4;

  /** Bytes read ahead per pack; {@link #WINDOWS} of them are kept (restores read packs one after another). */
  static final int WINDOW = 4 << 20;
  static final int WINDOWS = 4;

  private final S3Client s3;
  private final RepositoryLocation.S3 location;
  private final int partBytes;
  /** Bytes read ahead, by file name; least recently used first. */
  private final Map<String, Window> windows = new java.util.LinkedHashMap<>(8, 0.75f, true) {
    @Override
    protected boolean removeEldestEntry(Map.Entry<String, Window> eldest) {
      return size() > WINDOWS;
    }
  };

  /** Bytes of a file from {@code offset}. */
  private record Window(long offset, byte[] bytes) {}
  private final String keyPrefix;
  private final String credentialsSource;

  private S3Store(S3Client s3, RepositoryLocation.S3 location, String credentialsSource, int partBytes) {
    this.s3 = s3;
    this.location = location;
    this.partBytes = partBytes;
    this.keyPrefix = location.prefix().isEmpty() ? "" : location.prefix() + "/";
    this.credentialsSource = credentialsSource;
  }

  /** The store at {@code location} with the keys of {@code credentialsFile}, or of the AWS environment when null. */
  static S3Store open(RepositoryLocation.S3 location, Path credentialsFile) throws IOException {
    AwsCredentialsProvider credentials;
    String region = null;
    String source;
    String identity;
    if (credentialsFile != null) {
      Profile p = profile(credentialsFile, location);
      AwsCredentials c = credentials(p, credentialsFile);
      credentials = StaticCredentialsProvider.create(c);
      region = p.property("region").orElse(null);
      source = "s3-credentials-file " + credentialsFile + " [" + p.name() + "]";
      identity = c.accessKeyId() + "@" + credentialsFile;
    } else {
      credentials = DefaultCredentialsProvider.builder().build();
      source = "the AWS environment (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, ~/.aws/credentials) or s3-credentials-file";
      identity = "environment";
    }
    if (region == null) {
      region = environmentRegion();
    }
    String r = region;
    String key = location.endpoint() + "|" + r + "|" + identity;
    S3Client client = CLIENTS.computeIfAbsent(key, k -> client(location.endpoint(), r, credentials));
    return new S3Store(client, location, source, PART_BYTES);
  }

  /** This store with parts of {@code bytes} (at least 5 MiB): for tests that need several parts without 16 MiB of data. */
  S3Store withPartBytes(int bytes) {
    if (bytes < 5 << 20) {
      throw new IllegalArgumentException("S3 parts must have at least 5 MiB, not " + bytes + " bytes");
    }
    return new S3Store(s3, location, credentialsSource, bytes);
  }

  private static S3Client client(URI endpoint, String region, AwsCredentialsProvider credentials) {
    S3ClientBuilder b = S3Client.builder()
        .httpClientBuilder(UrlConnectionHttpClient.builder().connectionTimeout(Duration.ofSeconds(10))
            .socketTimeout(Duration.ofMinutes(2)))
        .credentialsProvider(credentials)
        .region(Region.of(region));
    if (endpoint == null) {
      // A bucket in another region than the one configured is still found.
      return b.crossRegionAccessEnabled(true).build();
    }
    // Path-style (host/bucket/key) works on every S3-compatible server. Checksums only where S3
    // requires them: several servers reject the SDK's newer trailing checksums, and every pack,
    // index and snapshot is authenticated by tandem itself (pack names, AES-GCM).
    return b.endpointOverride(endpoint).forcePathStyle(true)
        .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
        .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED)
        .build();
  }

  /**
   * AWS_REGION or AWS_DEFAULT_REGION, else us-east-1 (what MinIO and most S3-compatible servers
   * expect; on AWS the client follows the bucket's region). The SDK's own chain is not used: it
   * asks the EC2 metadata address, which is wrong off EC2 and slow when unreachable.
   */
  private static String environmentRegion() {
    for (String v : new String[] {"AWS_REGION", "AWS_DEFAULT_REGION"}) {
      String r = System.getenv(v);
      if (r != null && !r.isBlank()) {
        return r.trim();
      }
    }
    return "us-east-1";
  }

  private static Profile profile(Path file, RepositoryLocation.S3 location) throws IOException {
    if (!Files.exists(file)) {
      throw new IOException("s3-credentials-file " + file + " does not exist; create it (chmod 600) with\n  [default]\n"
          + "  aws_access_key_id = ...\n  aws_secret_access_key = ...\nfor repository " + location);
    }
    if (Files.getPosixFilePermissions(file).contains(PosixFilePermission.OTHERS_READ)) {
      throw new IOException("s3-credentials-file " + file + " is readable by every user; `chmod 600 " + file + "` first");
    }
    ProfileFile profiles;
    try {
      profiles = ProfileFile.builder().content(file).type(ProfileFile.Type.CREDENTIALS).build();
    } catch (SdkException | IllegalArgumentException e) {
      throw new IOException("s3-credentials-file " + file + " is not in the AWS credentials format ([default] then"
          + " aws_access_key_id = ... and aws_secret_access_key = ... lines): " + e.getMessage(), e);
    }
    return profiles.profile(location.bucket()).or(() -> profiles.profile("default")).orElseThrow(() -> new IOException(
        "s3-credentials-file " + file + " has neither a [" + location.bucket() + "] nor a [default] section for repository "
            + location + "; it has " + profiles.profiles().keySet()));
  }

  private static AwsCredentials credentials(Profile p, Path file) throws IOException {
    String id = p.property("aws_access_key_id").orElse(null);
    String secret = p.property("aws_secret_access_key").orElse(null);
    if (id == null || secret == null) {
      throw new IOException("s3-credentials-file " + file + " [" + p.name() + "] lacks "
          + (id == null ? "aws_access_key_id" : "aws_secret_access_key"));
    }
    return p.property("aws_session_token").<AwsCredentials>map(t -> AwsSessionCredentials.create(id, secret, t))
        .orElseGet(() -> AwsBasicCredentials.create(id, secret));
  }

  private String key(String name) {
    return keyPrefix + name;
  }

  @Override
  public void create() throws IOException {
    call("checking the bucket of", "", () -> s3.headBucket(r -> r.bucket(location.bucket())));
  }

  @Override
  public boolean isEmpty() throws IOException {
    return call("listing", "", () -> s3.listObjectsV2(r -> r.bucket(location.bucket()).prefix(keyPrefix).maxKeys(1))
        .contents().isEmpty());
  }

  @Override
  public boolean exists(String name) throws IOException {
    try {
      call("reading", name, () -> s3.headObject(r -> r.bucket(location.bucket()).key(key(name))));
      return true;
    } catch (NoSuchFileException e) {
      return false;
    }
  }

  @Override
  public byte[] read(String name) throws IOException {
    return call("reading", name, () -> s3.getObjectAsBytes(r -> r.bucket(location.bucket()).key(key(name))).asByteArray());
  }

  /**
   * Reads at least {@link #WINDOW} bytes from {@code offset} and keeps them for the next reads of
   * that file: a restore reads a pack's blobs in order, and one GET per blob (a few KiB to 256 KiB)
   * would make it wait a round trip for each.
   */
  @Override
  public byte[] readRange(String name, long offset, int length) throws IOException {
    if (length == 0) {
      return new byte[0];
    }
    synchronized (windows) {
      Window w = windows.get(name);
      if (w != null && offset >= w.offset() && offset + length <= w.offset() + w.bytes().length) {
        int from = (int) (offset - w.offset());
        return java.util.Arrays.copyOfRange(w.bytes(), from, from + length);
      }
    }
    int fetch = Math.max(length, WINDOW);
    byte[] got;
    try {
      got = call("reading", name, () -> s3.getObjectAsBytes(r -> r.bucket(location.bucket()).key(key(name))
          .range("bytes=" + offset + "-" + (offset + fetch - 1))).asByteArray());
    } catch (RangeNotSatisfiable e) {
      return new byte[0]; // the object ends before offset
    }
    if (got.length > length) {
      synchronized (windows) {
        windows.put(name, new Window(offset, got));
      }
    }
    return got.length <= length ? got : java.util.Arrays.copyOf(got, length);
  }

  @Override
  public void closeReaders() {
    synchronized (windows) {
      windows.clear();
    }
  }

  @Override
  public List<Entry> list(String dir) throws IOException {
    String under = key(dir) + "/";
    List<Entry> out = new ArrayList<>();
    call("listing", dir + "/", () -> {
      for (S3Object o : s3.listObjectsV2Paginator(r -> r.bucket(location.bucket()).prefix(under)).contents()) {
        String name = dir + "/" + o.key().substring(under.length());
        if (!name.substring(name.lastIndexOf('/') + 1).startsWith(".")) {
          out.add(new Entry(name, o.size()));
        }
      }
      return null;
    });
    out.sort(Comparator.comparing(Entry::name));
    return out;
  }

  @Override
  public void write(String name, byte[] data) throws IOException {
    write(name, data, data.length);
  }

  @Override
  public void write(String name, byte[] data, int length) throws IOException {
    if (length > partBytes) {
      writeInParts(name, data, length);
      return;
    }
    // RequestBody copies the bytes it is given (fromByteBuffer from the buffer's start, not its position).
    call("writing", name, () -> s3.putObject(r -> r.bucket(location.bucket()).key(key(name)),
        RequestBody.fromBytes(length == data.length ? data : java.util.Arrays.copyOf(data, length))));
  }

  /**
   * A multipart upload: parts of {@link #partBytes} (the last one shorter), {@link #PARTS_AT_ONCE}
   * in flight, then completed in order; the object appears only then. Aborted on any failure.
   */
  private void writeInParts(String name, byte[] data, int length) throws IOException {
    String uploadId = call("writing", name, () -> s3.createMultipartUpload(r -> r.bucket(location.bucket()).key(key(name))))
        .uploadId();
    int parts = (int) ((length + (long) partBytes - 1) / partBytes);
    List<CompletedPart> done = new ArrayList<>();
    try (var pool = java.util.concurrent.Executors.newFixedThreadPool(Math.min(parts, PARTS_AT_ONCE),
        Thread.ofPlatform().daemon().name("s3-part-", 0).factory())) {
      List<java.util.concurrent.Future<CompletedPart>> sent = new ArrayList<>();
      for (int i = 0; i < parts; i++) {
        int number = i + 1;
        int from = i * partBytes;
        int size = Math.min(partBytes, length - from);
        sent.add(pool.submit(() -> {
          String etag = call("writing part " + number + " of", name, () -> s3.uploadPart(r -> r.bucket(location.bucket())
              .key(key(name)).uploadId(uploadId).partNumber(number).contentLength((long) size),
              RequestBody.fromBytes(java.util.Arrays.copyOfRange(data, from, from + size)))).eTag();
          return CompletedPart.builder().partNumber(number).eTag(etag).build();
        }));
      }
      for (var f : sent) {
        done.add(f.get());
      }
      call("writing", name, () -> s3.completeMultipartUpload(r -> r.bucket(location.bucket()).key(key(name))
          .uploadId(uploadId).multipartUpload(m -> m.parts(done))));
    } catch (IOException | RuntimeException | InterruptedException | java.util.concurrent.ExecutionException e) {
      abort(name, uploadId);
      if (e instanceof InterruptedException) {
        Thread.currentThread().interrupt();
        throw new java.io.InterruptedIOException("interrupted while uploading " + describe(name));
      }
      Throwable cause = e instanceof java.util.concurrent.ExecutionException ? e.getCause() : e;
      throw cause instanceof IOException io ? io : new IOException("uploading " + describe(name) + " failed: " + cause, cause);
    }
  }

  /** Gives up an unfinished multipart upload, so its parts do not stay stored (and billed). */
  private void abort(String name, String uploadId) {
    try {
      call("aborting the upload of", name, () -> s3.abortMultipartUpload(r -> r.bucket(location.bucket()).key(key(name))
          .uploadId(uploadId)));
    } catch (IOException e) {
      // the failure that made us abort is the one to report; a lifecycle rule removes the parts
    }
  }

  @Override
  public boolean create(String name, byte[] data) throws IOException {
    if (exists(name)) {
      return false; // also on servers that ignore If-None-Match (S3Proxy 2.6 does), leaving them a short window only
    }
    try {
      call("writing", name, () -> s3.putObject(r -> r.bucket(location.bucket()).key(key(name)).ifNoneMatch("*"),
          RequestBody.fromBytes(data)));
      return true;
    } catch (ConditionFailed e) {
      return false;
    } catch (ConditionalWriteUnsupported e) {
      write(name, data); // checked above
      return true;
    }
  }

  @Override
  public void delete(String name) throws IOException {
    call("deleting", name, () -> s3.deleteObject(r -> r.bucket(location.bucket()).key(key(name))));
  }

  @Override
  public String describe(String name) {
    return location + "/" + name;
  }

  @Override
  public String toString() {
    return location.toString();
  }

  /** One S3 request. */
  private interface Request<T> {
    T run();
  }

  /** The object ends before the range asked for. */
  private static final class RangeNotSatisfiable extends IOException {}

  /** A conditional write found the object there. */
  private static final class ConditionFailed extends IOException {}

  /** The server does not implement conditional writes. */
  private static final class ConditionalWriteUnsupported extends IOException {}

  /** Runs a request; SDK exceptions become IOExceptions that name the repository and say what to check. */
  private <T> T call(String doing, String name, Request<T> request) throws IOException {
    try {
      return request.run();
    } catch (NoSuchBucketException e) {
      throw new IOException("the bucket " + location.bucket() + " of repository " + location + " does not exist; create it"
          + " on the S3 server first (e.g. `aws s3 mb s3://" + location.bucket() + "` or `mc mb ALIAS/" + location.bucket()
          + "`), or correct the repository in tandem.yaml", e);
    } catch (NoSuchKeyException e) {
      throw new NoSuchFileException(describe(name));
    } catch (S3Exception e) {
      throw translate(e, doing, name);
    } catch (SdkClientException e) {
      if (e.getMessage() != null && e.getMessage().contains("Unable to load credentials")) {
        throw new IOException("no S3 credentials for repository " + location + ": set s3-credentials-file in the backup, or"
            + " AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY in the environment", e);
      }
      throw new IOException("cannot reach the S3 server of repository " + location + " while " + doing + " " + describe(name)
          + ": " + e.getMessage() + "; check the endpoint, the network and that the server runs", e);
    } catch (SdkException e) {
      throw new IOException("S3 failed while " + doing + " " + describe(name) + ": " + e.getMessage(), e);
    }
  }

  private IOException translate(S3Exception e, String doing, String name) {
    String code = e.awsErrorDetails() == null || e.awsErrorDetails().errorCode() == null ? "" : e.awsErrorDetails().errorCode();
    int status = e.statusCode();
    if (status == 404 && (code.isEmpty() || code.equals("NoSuchKey")) && !name.isEmpty()) {
      return new NoSuchFileException(describe(name)); // HEAD answers carry no error code
    }
    if (status == 404 && (code.equals("NoSuchBucket") || name.isEmpty())) {
      return new IOException("the bucket " + location.bucket() + " of repository " + location + " does not exist; create it"
          + " on the S3 server first, or correct the repository in tandem.yaml", e);
    }
    if (status == 416) {
      return new RangeNotSatisfiable();
    }
    if (status == 412) {
      return new ConditionFailed();
    }
    if (status == 501 && doing.equals("writing")) {
      return new ConditionalWriteUnsupported();
    }
    if (status == 401 || status == 403) {
      return new IOException("the S3 server refused access to repository " + location + " while " + doing + " "
          + describe(name) + " (" + (code.isEmpty() ? "HTTP " + status : code) + "); check the access key and secret in "
          + credentialsSource + ", and that they may read, write, list and delete in bucket " + location.bucket(), e);
    }
    return new IOException("S3 answered " + status + (code.isEmpty() ? "" : " " + code) + " while " + doing + " "
        + describe(name) + ": " + e.getMessage(), e);
  }
}
