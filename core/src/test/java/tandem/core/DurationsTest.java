package tandem.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** The durations of tandem.yaml and of every message. */
class DurationsTest {
  @ParameterizedTest
  @CsvSource({"500ms, 500", "2s, 2000", "1m30s, 90000", "1h, 3600000", "14d, 1209600000", "0s, 0", " 2s , 2000"})
  void yamlDuration_isParsed(String text, long millis) {
    assertThat(Durations.parse(text)).isEqualTo(Duration.ofMillis(millis));
  }

  @ParameterizedTest
  @ValueSource(strings = {"2", "2 s", "1m 30s", "s", "-1s", "1.5s", "2sec", "ms2"})
  void malformedDuration_isRejectedShowingTheAcceptedForms(String text) {
    assertThatThrownBy(() -> Durations.parse(text))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("500ms, 2s, 1m30s");
  }

  /**
   * A typo such as an extra row of 9s in tandem.yaml must become a config problem, not an unexpected exception:
   * the config reader catches IllegalArgumentException only.
   */
  @ParameterizedTest
  @ValueSource(strings = {"9999999999999999d", "99999999999999999999s"})
  void durationTooLargeForJava_isRejectedShowingTheAcceptedForms(String text) {
    assertThatThrownBy(() -> Durations.parse(text))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("500ms, 2s, 1m30s");
  }

  @ParameterizedTest
  @CsvSource({"0, 0ms", "800, 800ms", "1000, 1s", "1500, 1.5s", "90000, 1m30s", "120000, 2m", "3600000, 1h",
      "5400000, 1h30m"})
  void duration_isFormattedCompactly(long millis, String text) {
    assertThat(Durations.format(Duration.ofMillis(millis))).isEqualTo(text);
  }
}
