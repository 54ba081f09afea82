package tandem.agent;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;
import tandem.config.LogFormat;
import tandem.core.Event;
import tandem.core.EventLog;
import tandem.core.Level;

class LogOutputTest {
  static final ObjectMapper JSON = new ObjectMapper();
  final PrintStream realOut = System.out;
  final ByteArrayOutputStream out = new ByteArrayOutputStream();

  @TempDir Path dir;

  @AfterEach
  void back() {
    LogOutput.use(LogFormat.TEXT);
    System.setOut(realOut);
  }

  @Test
  void json_writesOneObjectPerLine_withEventFieldsAndTheException() throws Exception {
    List<JsonNode> lines = capture(LogFormat.JSON);

    assertThat(lines).hasSize(3);
    JsonNode plain = lines.get(0);
    assertThat(plain.path("level").asText()).isEqualTo("INFO");
    assertThat(plain.path("loggerName").asText()).isEqualTo("tandem.agent.Agent");
    assertThat(plain.path("formattedMessage").asText()).isEqualTo("agent n1 \"ready\"\nin 12 ms");
    assertThat(plain.path("timestamp").asLong()).isCloseTo(Instant.now().toEpochMilli(), org.assertj.core.data.Offset.offset(60_000L));
    JsonNode failed = lines.get(1);
    assertThat(failed.path("level").asText()).isEqualTo("WARN");
    assertThat(failed.path("throwable").path("className").asText()).isEqualTo("java.io.IOException");
    assertThat(failed.path("throwable").path("message").asText()).isEqualTo("disk full");
    JsonNode event = lines.get(2);
    assertThat(event.path("loggerName").asText()).isEqualTo("tandem.events");
    assertThat(event.path("formattedMessage").asText()).isEqualTo("[web] promoted: n1 is primary");
    assertThat(event.path("kvpList").toString()).contains("{\"kind\":\"promoted\"}", "{\"node\":\"n1\"}",
        "{\"group\":\"web\"}");
  }

  @Test
  void text_staysTheDefault() throws Exception {
    System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
    LogOutput.use(LogFormat.TEXT);
    LoggerFactory.getLogger(Agent.class).info("plain words");

    assertThat(out.toString(StandardCharsets.UTF_8)).matches("\\d\\d:\\d\\d:\\d\\d\\.\\d{3} INFO .*plain words\\R");
  }

  private List<JsonNode> capture(LogFormat format) throws Exception {
    System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
    LogOutput.use(format);
    LoggerFactory.getLogger(Agent.class).info("agent {} \"ready\"\nin {} ms", "n1", 12);
    LoggerFactory.getLogger(Agent.class).warn("cannot write", new java.io.IOException("disk full"));
    try (EventLog events = new EventLog(dir.resolve("events.jsonl"))) {
      events.emit(new Event(Instant.now(), Level.INFO, "promoted", "n1", "web", "n1 is primary"));
    }
    List<JsonNode> lines = new ArrayList<>();
    for (String line : out.toString(StandardCharsets.UTF_8).split("\n")) {
      if (!line.isBlank()) {
        lines.add(JSON.readTree(line));
      }
    }
    return lines;
  }
}
