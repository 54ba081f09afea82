package tandem.agent;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.JsonEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.util.ContextInitializer;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.joran.spi.JoranException;
import org.slf4j.LoggerFactory;
import tandem.config.LogFormat;

/**
 * The agent's log output. Text is what logback.xml says (a pattern layout on the console). JSON swaps the root
 * logger's appender for a console appender with Logback's own {@link JsonEncoder}: one object per line with
 * timestamp, level, threadName, loggerName, formattedMessage, kvpList (an event's kind, node and group) and a
 * structured throwable; the levels of logback.xml's loggers stay as they are.
 */
public final class LogOutput {
  private LogOutput() {}

  /** Switches the agent's log to {@code format}; call before the agent starts so every line has the same shape. */
  public static void use(LogFormat format) {
    if (!(LoggerFactory.getILoggerFactory() instanceof LoggerContext ctx)) {
      return; // another SLF4J binding (a test's): it keeps its own output
    }
    ctx.reset();
    try {
      new ContextInitializer(ctx).autoConfig();
    } catch (JoranException e) {
      throw new IllegalStateException("cannot configure logging: " + e.getMessage(), e);
    }
    if (format == LogFormat.JSON) {
      Logger root = ctx.getLogger(Logger.ROOT_LOGGER_NAME);
      root.detachAndStopAllAppenders();
      root.addAppender(jsonConsole(ctx));
    }
  }

  private static ConsoleAppender<ILoggingEvent> jsonConsole(LoggerContext ctx) {
    JsonEncoder encoder = new JsonEncoder();
    encoder.setContext(ctx);
    encoder.setWithSequenceNumber(false);
    encoder.setWithNanoseconds(false);
    encoder.setWithContext(false);
    encoder.setWithMDC(false);
    encoder.setWithMarkers(false);
    encoder.setWithArguments(false);
    encoder.setWithMessage(false); // the pattern with {} placeholders; formattedMessage is the sentence
    encoder.setWithFormattedMessage(true);
    encoder.start();
    ConsoleAppender<ILoggingEvent> out = new ConsoleAppender<>();
    out.setContext(ctx);
    out.setName("json");
    out.setEncoder(encoder);
    out.start();
    return out;
  }
}
