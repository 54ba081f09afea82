package tandem.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import org.junit.jupiter.api.Test;

/** The CLI reads the agent's answers with the streaming parser: the same trees Jackson's ObjectMapper reads. */
class ApiClientParseTest {
  @Test
  void readsTheSameTreeAsAnObjectMapper() throws IOException {
    String json = "{\"id\":\"r-1\",\"running\":false,\"ok\":true,\"files\":15000,\"bytes\":1073741824000,"
        + "\"huge\":123456789012345678901234567890,\"seconds\":4.25,\"parent\":null,\"skipped\":[],"
        + "\"copies\":[\"/mnt/offsite: 3 snapshots\",{\"nested\":[1,2.5,\"\\u00e9\\n\",false]}],\"error\":\"\"}";

    assertThat(ApiClient.parse(json)).isEqualTo(ApiClient.json().readTree(json));
    assertThat(ApiClient.parse(json).path("bytes").asLong()).isEqualTo(1073741824000L);
    assertThat(ApiClient.parse("[]").isArray()).isTrue();
    assertThat(ApiClient.parse("  ").isObject()).as("an empty answer is an empty object").isTrue();
  }

  @Test
  void aBrokenAnswer_isAnError() {
    assertThatThrownBy(() -> ApiClient.parse("{\"running\": tru")).isInstanceOf(IOException.class);
    assertThatThrownBy(() -> ApiClient.parse("{\"a\": [1, 2}")).isInstanceOf(IOException.class);
  }
}
