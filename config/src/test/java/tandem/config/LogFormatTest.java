package tandem.config;

import static org.assertj.core.api.Assertions.assertThat;
import static tandem.config.ConfigFixtures.MINIMAL;
import static tandem.config.ConfigFixtures.load;
import static tandem.config.ConfigFixtures.problemOf;

import org.junit.jupiter.api.Test;

class LogFormatTest {
  @Test
  void noLogSection_isText() throws ConfigException {
    assertThat(load(MINIMAL).logFormat()).isEqualTo(LogFormat.TEXT);
  }

  @Test
  void logFormatJson_isRead() throws ConfigException {
    assertThat(load(MINIMAL + "log: { format: json }\n").logFormat()).isEqualTo(LogFormat.JSON);
  }

  @Test
  void unknownLogFormat_isAnErrorNamingTheKey() {
    ConfigProblem p = problemOf(MINIMAL + "log: { format: xml }\n");

    assertThat(p.path()).isEqualTo("log.format");
    assertThat(p.message()).contains("'xml'", "text", "json");
  }

  @Test
  void unknownKeyInLog_isAnError() {
    assertThat(problemOf(MINIMAL + "log: { level: debug }\n").path()).isEqualTo("log.level");
  }
}
