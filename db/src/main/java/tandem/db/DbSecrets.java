package tandem.db;

import java.io.IOException;
import java.io.StringReader;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.Properties;

/**
 * The passwords of tandem's two database accounts (PostgreSQL roles, MariaDB users), in a file of
 * mode 0600 in tandem's data dir. The first primary generates them; replicas receive them from the
 * primary and keep a copy.
 *
 * @param replication the password of the replication account (PostgreSQL tandem_replication, MariaDB tandem_repl)
 * @param admin the password of tandem_admin (all privileges: promote, rewind, monitoring)
 */
public record DbSecrets(String replication, String admin) {
  private static final String ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";

  @Override
  public String toString() {
    return "DbSecrets[********]";
  }

  public static DbSecrets generate() {
    return new DbSecrets(password(), password());
  }

  private static String password() {
    SecureRandom r = new SecureRandom();
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < 32; i++) {
      sb.append(ALPHABET.charAt(r.nextInt(ALPHABET.length())));
    }
    return sb.toString();
  }

  /** The passwords in {@code file}, or null when it does not exist. */
  public static DbSecrets read(Path file) throws IOException {
    if (!Files.exists(file)) {
      return null;
    }
    Properties p = new Properties();
    p.load(new StringReader(Files.readString(file)));
    String repl = p.getProperty("replication");
    String admin = p.getProperty("admin");
    if (repl == null || admin == null) {
      throw new IOException(file + " lacks the replication or admin password; restore it from a backup of this"
          + " node, or copy it from the group's primary (same path there)");
    }
    return new DbSecrets(repl, admin);
  }

  /** Writes the passwords, readable by the agent's user only; {@code accounts} names them in the file's comment. */
  public void write(Path file, String accounts) throws IOException {
    Files.createDirectories(file.getParent());
    Properties p = new Properties();
    p.setProperty("replication", replication);
    p.setProperty("admin", admin);
    StringWriter w = new StringWriter();
    p.store(w, "tandem's " + accounts + "; keep secret");
    Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
    Files.deleteIfExists(tmp);
    Files.createFile(tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    Files.writeString(tmp, w.toString(), StandardOpenOption.TRUNCATE_EXISTING);
    Files.move(tmp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
  }
}
