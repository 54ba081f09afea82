package tandem.db;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * What this node's database last was, kept in tandem's data dir so a restarted agent knows:
 * "primary 3" (it accepted writes under epoch 3) or "replica 4" (it followed the primary of epoch 4).
 *
 * @param primary true for a primary
 * @param epoch the group's epoch then
 */
record DbRole(boolean primary, long epoch) {
  static DbRole read(Path file) throws IOException {
    if (!Files.exists(file)) {
      return null;
    }
    String[] w = Files.readString(file, StandardCharsets.UTF_8).trim().split("\\s+");
    if (w.length != 2 || !(w[0].equals("primary") || w[0].equals("replica"))) {
      throw new IOException(file + " holds '" + String.join(" ", w) + "', not 'primary <epoch>' or 'replica <epoch>'");
    }
    return new DbRole(w[0].equals("primary"), Long.parseLong(w[1]));
  }

  void write(Path file) throws IOException {
    Files.createDirectories(file.getParent());
    Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
    Files.writeString(tmp, (primary ? "primary " : "replica ") + epoch + "\n", StandardCharsets.UTF_8);
    Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }
}
