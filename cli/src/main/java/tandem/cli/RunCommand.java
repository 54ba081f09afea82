package tandem.cli;

import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import tandem.agent.Agent;
import tandem.agent.LogOutput;
import tandem.config.LogFormat;
import tandem.config.TandemConfig;

@Command(name = "run", description = "Run the agent in the foreground (Ctrl-C or SIGTERM hands over and stops).")
final class RunCommand implements Callable<Integer> {
  @Mixin ConfigOption config;

  @Option(names = "--log-format", paramLabel = "text|json", converter = LogFormatConverter.class,
      description = "text (default) or json: one JSON object per line; overrides log.format in tandem.yaml")
  LogFormat logFormat;

  @Override
  public Integer call() throws Exception {
    TandemConfig cfg = config.load();
    LogOutput.use(logFormat != null ? logFormat : cfg.logFormat());
    Agent agent = Agent.start(cfg);
    agent.whenLeft(() -> System.exit(0)); // `tandem leave`: the shutdown hook below stops the agent
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      try {
        agent.close();
      } catch (Exception e) {
        System.err.println("tandem: error while stopping: " + e);
      } finally {
        stopped.countDown();
      }
    }, "shutdown"));
    stopped.await();
    return 0;
  }
}

/** Reads text|json in any case for --log-format. */
final class LogFormatConverter implements picocli.CommandLine.ITypeConverter<LogFormat> {
  @Override
  public LogFormat convert(String value) {
    for (LogFormat f : LogFormat.values()) {
      if (f.name().equalsIgnoreCase(value)) {
        return f;
      }
    }
    throw new picocli.CommandLine.TypeConversionException("'" + value + "' is not a log format: use text or json");
  }
}
