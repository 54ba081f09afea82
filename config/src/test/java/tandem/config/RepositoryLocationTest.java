package tandem.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class RepositoryLocationTest {
  @Test
  void directory_isNormalised() {
    assertThat(RepositoryLocation.parse("/backups//tandem/")).isEqualTo(new RepositoryLocation.Directory(Path.of("/backups/tandem")));
  }

  @Test
  void awsForm_hasNoEndpoint_andKeepsTheNestedPrefix() {
    RepositoryLocation l = RepositoryLocation.parse("s3://my-bucket/hosts/db1/");
    assertThat(l).isEqualTo(new RepositoryLocation.S3(null, "my-bucket", "hosts/db1"));
    assertThat(l).hasToString("s3://my-bucket/hosts/db1");
  }

  @Test
  void resticEndpointForm_keepsSchemeHostAndPort() {
    assertThat(RepositoryLocation.parse("s3:http://127.0.0.1:9000/bk1"))
        .isEqualTo(new RepositoryLocation.S3(URI.create("http://127.0.0.1:9000"), "bk1", ""));
    assertThat(RepositoryLocation.parse("s3:s3.eu-central-003.backblazeb2.com/bk-2/tandem"))
        .isEqualTo(new RepositoryLocation.S3(URI.create("https://s3.eu-central-003.backblazeb2.com"), "bk-2", "tandem"));
  }

  @Test
  void malformed_sayWhatIsWrongAndWhatIsExpected() {
    assertThatThrownBy(() -> RepositoryLocation.parse("s3://")).hasMessageContaining("names no bucket")
        .hasMessageContaining(RepositoryLocation.FORMS);
    assertThatThrownBy(() -> RepositoryLocation.parse("s3://a/b")).hasMessageContaining("'a' is not a bucket name");
    assertThatThrownBy(() -> RepositoryLocation.parse("s3://bucket/x//y")).hasMessageContaining("empty, '.' or '..' part");
    assertThatThrownBy(() -> RepositoryLocation.parse("s3:https://key:secret@host/bucket"))
        .hasMessageContaining("no user or password");
    assertThatThrownBy(() -> RepositoryLocation.parse("backups/tandem")).hasMessageContaining("is relative");
    assertThatThrownBy(() -> RepositoryLocation.parse("b2://bucket")).hasMessageContaining("in directories and on S3 servers only");
  }
}
