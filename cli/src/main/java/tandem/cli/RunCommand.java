package tandem.cli;

import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import tandem.agent.Agent;
import tandem.config.TandemConfig;

@Command(name = "run", description = "Run the agent in the foreground (Ctrl-C or SIGTERM hands over and stops).")
final class RunCommand implements Callable<Integer> {
  @Mixin ConfigOption config;

  @Override
  public Integer call() throws Exception {
    TandemConfig cfg = config.load();
    Agent agent = Agent.start(cfg);
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
