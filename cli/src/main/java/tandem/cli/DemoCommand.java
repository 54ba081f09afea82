package tandem.cli;

import java.nio.file.Path;
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
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    DemoCluster demo = new DemoCluster(dir, List.of(java, "-cp", System.getProperty("java.class.path"), Main.class.getName()), System.out);
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
    demo.awaitExit();
    return 0;
  }
}
