package tandem.db.mariadb;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import tandem.db.DbException;

/**
 * Whether this node has the programs a {@code mariadb} or {@code mysql} resource runs, for
 * check-config and before a server is made. Debian's MariaDB packages also install {@code mysqld},
 * {@code mysql} and {@code mysqldump} as links to MariaDB's programs, so a {@code mysql} resource
 * would find MariaDB's server in /usr/sbin: that is named as a problem too.
 */
public final class MyPrograms {
  private static final List<String> MARIADB = List.of("mariadbd", "mariadb-install-db", "mariadb-backup", "mbstream",
      "mariadb-binlog", "mariadb");
  private static final List<String> MYSQL = List.of("mysqld", "mysql", "mysqlbinlog", "mysqldump");

  private MyPrograms() {}

  /** One sentence per problem, each naming the fix; empty when every program is there and of the right server. */
  public static List<String> problems(Optional<Path> bin, boolean mysql) {
    Path dir = bin.orElse(Path.of("/usr/sbin"));
    MyRunner run = new MyRunner(dir, System.getProperty("user.name"));
    String key = mysql ? "mysql.bin" : "mariadb.bin";
    List<String> missing = new ArrayList<>();
    Path server = null;
    for (String name : mysql ? MYSQL : MARIADB) {
      try {
        Path p = run.program(name);
        if (name.equals("mysqld")) {
          server = p;
        }
      } catch (DbException e) {
        missing.add(name);
      }
    }
    List<String> out = new ArrayList<>();
    if (!missing.isEmpty()) {
      out.add("no " + String.join(", ", missing) + " in " + dir + " or the usual places on this node; install "
          + (mysql ? "MySQL 8.4 or newer" : "MariaDB (apt-get install mariadb-server mariadb-backup)") + " or set " + key
          + " to the directory of its programs");
    }
    if (server != null) {
      String version = version(server);
      if (version.contains("MariaDB")) {
        out.add(server + " is MariaDB's server (" + version.strip() + "), not MySQL's: for MariaDB use a mariadb: resource;"
            + " for MySQL set " + key + " to the directory of MySQL's programs");
      }
    }
    return out;
  }

  /** The problems of {@link #problems} as one exception, if there are any. */
  static void require(Optional<Path> bin, boolean mysql) throws DbException {
    List<String> p = problems(bin, mysql);
    if (!p.isEmpty()) {
      throw new DbException(String.join("; ", p));
    }
  }

  private static String version(Path program) {
    try {
      Process p = new ProcessBuilder(program.toString(), "--version").redirectErrorStream(true).start();
      p.getOutputStream().close();
      byte[] out = p.getInputStream().readNBytes(4096);
      if (!p.waitFor(10, TimeUnit.SECONDS)) {
        p.destroyForcibly();
      }
      return new String(out, StandardCharsets.UTF_8);
    } catch (java.io.IOException e) {
      return "";
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return "";
    }
  }
}
