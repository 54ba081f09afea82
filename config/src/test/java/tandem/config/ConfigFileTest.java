package tandem.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigFileTest {
  @TempDir
  Path dir;

  @Test
  void loadedFile_resolvesDataDirAgainstItsDirectory() throws IOException, ConfigException {
    Path file = dir.resolve("etc/tandem.yaml");
    Files.createDirectories(file.getParent());
    Files.writeString(file, ConfigFixtures.MINIMAL + "  data-dir: ../var/tandem\n");

    TandemConfig c = ConfigLoader.load(file);

    assertThat(c.file()).isEqualTo(file.toAbsolutePath());
    assertThat(c.node().dataDir()).isEqualTo(dir.resolve("var/tandem"));
  }

  @Test
  void missingFile_saysHowToCreateOne() {
    Path file = dir.resolve("tandem.yaml");

    ConfigException e = catchThrowableOfType(ConfigException.class, () -> ConfigLoader.load(file));

    assertThat(e.getMessage()).isEqualTo(file + " has 1 problem:\n  - the file does not exist; write one with "
        + "tandem init or give the right path");
  }

  @Test
  void fileThatIsNotUtf8_isNamedAsSuch() throws IOException {
    Path file = dir.resolve("tandem.yaml");
    Files.write(file, new byte[] {'c', ':', ' ', (byte) 0xff, (byte) 0xfe, '\n'});

    ConfigException e = catchThrowableOfType(ConfigException.class, () -> ConfigLoader.load(file));

    assertThat(e.problems()).containsExactly(new ConfigProblem("", "the file is not UTF-8 text; save it as UTF-8"));
  }
}
