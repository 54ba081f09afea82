package tandem.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import tandem.drill.DemoCluster;

@Command(name = "demo", description = "Start a local 3-node cluster (2 data nodes + witness) with a demo service group.")
final class DemoCommand implements Callable<Integer> {
  @Option(names = "--dir", defaultValue = "demo-data", description = "where the demo nodes live (wiped first)") Path dir;

  @Override
  public Integer call() throws Exception {
    DemoCluster demo = new DemoCluster(dir, javaCommand(null), javaCommand(System.getenv("TANDEM_AGENT_JVM_OPTS")), System.out);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      try {
        System.out.println("stopping the demo...");
        demo.close();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }));
    demo.start();
    demo.printGuide();
    demo.supervise();
    return 0;
  }

  /**
   * A command that runs tandem in a new JVM: this JVM's java and class path, with the given options, one per line. The
   * demo starts its agents with the agent's options that the ./tandem launcher passes in {@code TANDEM_AGENT_JVM_OPTS},
   * so they use the memory and start-up they would under {@code tandem run}; its short commands with none.
   */
  static List<String> javaCommand(String jvmOpts) {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    if (jvmOpts != null) {
      jvmOpts.lines().map(String::strip).filter(o -> !o.isEmpty()).forEach(cmd::add);
    }
    cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), Main.class.getName()));
    return List.copyOf(cmd);
  }
}
