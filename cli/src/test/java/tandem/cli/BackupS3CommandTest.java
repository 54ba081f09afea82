package tandem.cli;

import static org.assertj.core.api.Assertions.assertThat;
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
import org.jclouds.blobstore.BlobStoreContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * `tandem backup ...` on a repository in an S3 bucket, as an operator configures it: a real S3
 * server (S3Proxy over an in-memory blob store) on 127.0.0.1, the keys in s3-credentials-file.
 */
class BackupS3CommandTest extends BackupFixture {
  static final String ACCESS_KEY = "cli-test-access";
  static final String SECRET_KEY = "cli-test-secret-key-0123456789";
  static BlobStoreContext blobs;
  static S3Proxy server;
  String repository;
  Path credentials;

  @BeforeAll
  static void startServer() throws Exception {
    blobs = ContextBuilder.newBuilder("transient").credentials("unused", "unused").build(BlobStoreContext.class);
    server = S3Proxy.builder().blobStore(blobs.getBlobStore()).endpoint(URI.create("http://127.0.0.1:0"))
        .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, ACCESS_KEY, SECRET_KEY).build();
    server.start();
    await().atMost(Duration.ofSeconds(20)).until(() -> server.getState().equals("STARTED"));
    blobs.getBlobStore().createContainerInLocation(null, "tandem-cli");
  }

  @AfterAll
  static void stopServer() throws Exception {
    server.stop();
    blobs.close();
  }

  @BeforeEach
  void onS3() throws IOException {
    repository = "s3:http://127.0.0.1:" + server.getPort() + "/tandem-cli/" + dir.getFileName();
    credentials = credentialsFile("good", SECRET_KEY);
    String yaml = Files.readString(config).replace("repository: " + dir.resolve("repo"), "repository: " + repository)
        + "    s3-credentials-file: " + credentials + "\n    copy-to: [" + dir.resolve("offsite") + "]\n";
    Files.writeString(config, yaml);
  }

  private Path credentialsFile(String name, String secret) throws IOException {
    Path f = dir.resolve(name + ".credentials");
    Files.writeString(f, "[default]\naws_access_key_id = " + ACCESS_KEY + "\naws_secret_access_key = " + secret + "\n");
    Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-------"));
    return f;
  }

  @Test
  void checkConfigRunListRestoreVerifyForgetPruneCopy_onAnS3Repository() throws IOException {
    Run check = tandem("check-config");
    assertThat(check.code()).as(check.out()).isZero();
    assertThat(check.out()).contains("backup nightly: repository " + repository + ", copy-to [" + dir.resolve("offsite") + "]");

    Run run = tandem("backup", "run");
    assertThat(run.code()).as(run.out()).isZero();
    assertThat(run.out()).contains("2 files").contains("copy " + dir.resolve("offsite") + ": 1 snapshot(s) copied");
    Files.writeString(www.resolve("index.html"), "<h1>shop, v2</h1>");
    assertThat(tandem("backup", "run").code()).isZero();
    assertThat(tandem("backup", "list").out()).contains("2 snapshot(s)");

    Run restore = tandem("backup", "restore", "latest", "--target", dir.resolve("back").toString());
    assertThat(restore.code()).as(restore.out()).isZero();
    assertThat(Files.readString(dir.resolve("back/index.html"))).isEqualTo("<h1>shop, v2</h1>");
    assertThat(Files.readAllBytes(dir.resolve("back/photo.jpg"))).isEqualTo(Files.readAllBytes(www.resolve("photo.jpg")));

    Run verify = tandem("backup", "verify", "--read-data", "100%");
    assertThat(verify.code()).as(verify.out()).isZero();
    assertThat(verify.out()).contains("no problems found");

    assertThat(tandem("backup", "forget").code()).isZero();
    Run prune = tandem("backup", "prune");
    assertThat(prune.code()).as(prune.out()).isZero();
    assertThat(tandem("backup", "list").out()).contains("1 snapshot(s)");
    assertThat(tandem("backup", "verify", "--read-data", "100%").out()).contains("no problems found");
  }

  @Test
  void wrongKeys_failNamingTheRepositoryAndTheCredentialsFile() throws IOException {
    Path wrong = credentialsFile("wrong", "not-the-secret");
    Files.writeString(config, Files.readString(config).replace(credentials.toString(), wrong.toString()));

    Run run = tandem("backup", "run");

    assertThat(run.code()).isNotZero();
    assertThat(run.out()).contains("the S3 server refused access to repository " + repository)
        .contains("s3-credentials-file " + wrong);
  }
}
