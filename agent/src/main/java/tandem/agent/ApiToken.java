package tandem.agent;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.HexFormat;

/** The node's API token (data-dir/api.token, mode 0600): required by the API's mutating calls. */
public final class ApiToken {
  public static final String FILE = "api.token";

  private ApiToken() {}

  /** Reads the token, making one first if there is none. */
  public static String readOrCreate(Path dataDir) throws IOException {
    Path f = dataDir.resolve(FILE);
    if (Files.exists(f)) {
      return Files.readString(f).strip();
    }
    Files.createDirectories(dataDir);
    byte[] b = new byte[24];
    new SecureRandom().nextBytes(b);
    String token = HexFormat.of().formatHex(b);
    Files.writeString(f, token + "\n");
    Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-------"));
    return token;
  }
}
