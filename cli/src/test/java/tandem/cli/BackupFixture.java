package tandem.cli;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** A node's tandem.yaml with a files resource and a backups: section, and `tandem` run in-process on it. */
abstract class BackupFixture {
  @TempDir Path dir;
  Path www;
  Path config;

  @BeforeEach
  void setUp() throws IOException {
    www = Files.createDirectories(dir.resolve("www"));
    Files.writeString(www.resolve("index.html"), "<h1>shop</h1>");
    byte[] b = new byte[2 << 20];
    new Random(1).nextBytes(b);
    Files.write(www.resolve("photo.jpg"), b);
    Path pw = Files.writeString(dir.resolve("backup.key"), "s3cret-and-long\n");
    Files.setPosixFilePermissions(pw, PosixFilePermissions.fromString("rw-------"));
    config = Files.writeString(dir.resolve("tandem.yaml"), """
        cluster: shop
        node: { name: n1, listen: 127.0.0.1:7400, api: 127.0.0.1:8400 }
        groups:
          web:
            nodes: { n1: primary }
            resources:
              - files: { path: %s }
        backups:
          nightly:
            schedule: daily
            groups: [web]
            repository: %s
            password-file: %s
            keep: { last: 1 }
        """.formatted(www, dir.resolve("repo"), pw));
  }

  record Run(int code, String out) {}

  Run tandem(String... args) {
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    PrintStream old = System.out;
    System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
    try {
      List<String> all = new ArrayList<>(List.of(args));
      all.addAll(List.of("-c", config.toString()));
      CommandLine cl = Main.commandLine(args);
      cl.setErr(new java.io.PrintWriter(new PrintStream(buf, true, StandardCharsets.UTF_8), true));
      return new Run(cl.execute(all.toArray(String[]::new)), buf.toString(StandardCharsets.UTF_8));
    } finally {
      System.setOut(old);
    }
  }

}
