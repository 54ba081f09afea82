package tandem.core;

import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This node's stream of events: numbered, kept in memory (the last 10,000) for `tandem events`
 * and the API, appended to a JSON-lines file, logged, and passed on to subscribers (notifiers).
 */
public final class EventLog implements EventSink, AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger("tandem.events");
  private static final int KEEP = 10_000;

  /** An event with its sequence number in this node's stream. */
  public record Numbered(long seq, Event event) {}

  private final Deque<Numbered> recent = new ArrayDeque<>();
  private final List<EventSink> subscribers = new CopyOnWriteArrayList<>();
  private final Writer file;
  private long seq;

  public EventLog(Path file) throws IOException {
    Files.createDirectories(file.getParent());
    this.file = Files.newBufferedWriter(file, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
  }

  public void subscribe(EventSink sink) {
    subscribers.add(sink);
  }

  @Override
  public void emit(Event e) {
    synchronized (this) {
      recent.addLast(new Numbered(++seq, e));
      if (recent.size() > KEEP) {
        recent.removeFirst();
      }
      try {
        file.write(json(seq, e));
        file.write('\n');
        file.flush();
      } catch (IOException ex) {
        LOG.warn("cannot append to the event file: {}", ex.getMessage());
      }
      notifyAll();
    }
    String line = "[" + e.group() + "] " + e.kind() + ": " + e.message();
    org.slf4j.event.Level level = switch (e.level()) {
      case INFO -> org.slf4j.event.Level.INFO;
      case WARNING -> org.slf4j.event.Level.WARN;
      case CRITICAL -> org.slf4j.event.Level.ERROR;
    };
    // The event's fields ride along as key-value pairs: the JSON log shows them, the text log shows the line.
    LOG.atLevel(level).addKeyValue("kind", e.kind()).addKeyValue("node", e.node()).addKeyValue("group", e.group())
        .log(line);
    for (EventSink s : subscribers) {
      try {
        s.emit(e);
      } catch (RuntimeException ex) {
        LOG.warn("event subscriber failed: {}", ex.toString());
      }
    }
  }

  /** Events with a sequence number above {@code after}; waits up to {@code wait} for one to arrive. */
  public synchronized List<Numbered> after(long after, Duration wait) throws InterruptedException {
    long deadline = System.nanoTime() + wait.toNanos();
    while (seq <= after && System.nanoTime() - deadline < 0) {
      long ms = Math.max(1, (deadline - System.nanoTime()) / 1_000_000);
      wait(ms);
    }
    List<Numbered> out = new ArrayList<>();
    for (Numbered n : recent) {
      if (n.seq() > after) {
        out.add(n);
      }
    }
    return out;
  }

  static String json(long seq, Event e) {
    return "{\"seq\":" + seq + ",\"time\":\"" + e.time() + "\",\"level\":\"" + e.level() + "\",\"kind\":" + quote(e.kind())
        + ",\"node\":" + quote(e.node()) + ",\"group\":" + quote(e.group()) + ",\"message\":" + quote(e.message()) + "}";
  }

  private static String quote(String s) {
    StringBuilder b = new StringBuilder("\"");
    for (char c : (s == null ? "" : s).toCharArray()) {
      switch (c) {
        case '"' -> b.append("\\\"");
        case '\\' -> b.append("\\\\");
        case '\n' -> b.append("\\n");
        case '\r' -> b.append("\\r");
        case '\t' -> b.append("\\t");
        default -> {
          if (c < 0x20) {
            b.append(String.format("\\u%04x", (int) c));
          } else {
            b.append(c);
          }
        }
      }
    }
    return b.append('"').toString();
  }

  @Override
  public synchronized void close() throws IOException {
    file.close();
  }
}
