package tandem.db.mariadb;

import java.io.IOException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipalLookupService;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * tandem's files beside a MariaDB data dir, in {@code <data>.tandem/}: the server's whole
 * configuration ({@code my.cnf}, the only one it reads: /etc/mysql is not consulted), its TLS
 * certificate and key, the upstream's certificate a replica pins, the socket, pid file and error
 * log, and the {@code replica} marker. Written before every start, owned by the server's user.
 */
final class MyConf {
  private final MariadbSettings s;
  /** MySQL's mysqld (8.4 or newer), not MariaDB's mariadbd: other option names, plugins to load. */
  private final boolean mysql;
  /** Whether commits wait for a replica's acknowledgement (semi-sync) on a primary. */
  private volatile boolean semiSync;

  MyConf(MariadbSettings s) {
    this(s, false);
  }

  MyConf(MariadbSettings s, boolean mysql) {
    this.s = s;
    this.mysql = mysql;
  }

  void semiSync(boolean on) {
    semiSync = on;
  }

  boolean semiSync() {
    return semiSync;
  }

  Path dir() {
    return s.support();
  }

  Path cnf() {
    return dir().resolve("my.cnf");
  }

  /**
   * The Unix socket: beside the data dir, or in /tmp when that path is longer than a socket's
   * address may be (108 bytes; mariadbd refuses to start).
   */
  Path socket() {
    Path beside = dir().resolve("mariadbd.sock");
    return beside.toString().length() < 100 ? beside
        : Path.of("/tmp", "tandem-mariadb-" + s.port() + "-" + Long.toHexString(s.serverId()) + ".sock");
  }

  Path pidFile() {
    return dir().resolve("mariadbd.pid");
  }

  /**
   * The server's temporary files: a directory of its own, not /tmp. A MariaDB server that starts
   * deletes every "#sql*" file in its tmpdir (left over, it assumes, from its own last run), so two
   * servers sharing /tmp (two groups on one node, or the system's server) delete each other's
   * temporary tables; mariadb-install-db then fails half way ("Unknown table 'mysql.tmp_user_sys'").
   */
  Path tmpDir() {
    return dir().resolve("tmp");
  }

  /**
   * Present while mariadb-install-db runs into an empty data dir: a data dir with it beside is half
   * made (the install failed or was killed) and is made again from scratch.
   */
  Path installMarker() {
    return dir().resolve("install-incomplete");
  }

  /** MySQL's secure_file_priv: where LOAD DATA and SELECT ... INTO OUTFILE may read and write. */
  Path files() {
    return dir().resolve("files");
  }

  Path log() {
    return dir().resolve("server.log");
  }

  Path serverCert() {
    return dir().resolve("server.crt");
  }

  Path serverKey() {
    return dir().resolve("server.key");
  }

  Path upstreamCert() {
    return dir().resolve("upstream.crt");
  }

  /** Present while the data dir is a replica's (the data itself does not say so once replication stopped). */
  Path replicaMarker() {
    return dir().resolve("replica");
  }

  /**
   * With replication: dump, the consistent point of the replica's last installed copy (epoch
   * millis); kept beside the data dir so a restarted agent still knows how old the copy is.
   */
  Path lastCopy() {
    return dir().resolve("last-copy");
  }

  /** Writes everything for a start as primary ({@code replica} false) or as a read-only replica. */
  void write(boolean replica, String upstreamCertPem) throws IOException {
    privateDir(dir());
    privateDir(tmpDir());
    if (mysql) {
      privateDir(files());
    }
    privateFile(serverCert(), s.certificatePem());
    privateFile(serverKey(), s.keyPem());
    if (upstreamCertPem != null) {
      privateFile(upstreamCert(), upstreamCertPem);
    }
    privateFile(cnf(), text(replica));
    if (replica) {
      privateFile(replicaMarker(), "");
    } else {
      Files.deleteIfExists(replicaMarker());
    }
  }

  String text(boolean replica) {
    if (mysql) {
      return mysqlText(replica);
    }
    List<String> l = server("mariadbd");
    if (!s.dumps()) {
      binlog(l);
    }
    l.add("innodb-flush-log-at-trx-commit = 1");
    l.add("ssl-cert = " + serverCert());
    l.add("ssl-key = " + serverKey());
    // tandem starts replication itself, once it knows the primary of the current epoch.
    l.add("skip-slave-start = ON");
    l.add("slave-net-timeout = 4");
    l.add("read-only = " + (replica ? "ON" : "OFF"));
    if (!s.dumps()) {
      semiSync(l, replica);
    }
    return String.join("\n", l) + "\n";
  }

  /** Row-based binlog with GTIDs in one domain: what replicas stream from (not written with replication: dump). */
  private static void binlog(List<String> l) {
    l.add("log-bin = binlog");
    l.add("log-bin-index = binlog.index");
    l.add("relay-log = relay");
    l.add("binlog-format = ROW");
    l.add("log-slave-updates = ON");
    l.add("gtid-domain-id = 0");
    l.add("gtid-strict-mode = ON");
    // An acknowledged commit is on disk, binlog included: a kill -9 loses nothing acknowledged.
    l.add("sync-binlog = 1");
  }

  /** Semi-sync on both ends, and which databases a replica applies (binlog replication only). */
  private void semiSync(List<String> l, boolean replica) {
    l.add("rpl-semi-sync-slave-enabled = ON");
    l.add("rpl-semi-sync-master-enabled = " + (!replica && semiSync ? "ON" : "OFF"));
    // Lossless: the commit becomes visible on the primary only after a replica acknowledged it.
    l.add("rpl-semi-sync-master-wait-point = AFTER_SYNC");
    l.add("rpl-semi-sync-master-wait-no-slave = ON");
    // MariaDB never falls back to asynchronous commits by itself: tandem does, and says so.
    l.add("rpl-semi-sync-master-timeout = 4294967295");
    for (String db : s.databases()) {
      l.add("replicate-do-db = " + db);
    }
  }

  /** The section {@code [section]}: the user's parameters, then where the server listens, keeps its files and who it is. */
  private List<String> server(String section) {
    List<String> l = new ArrayList<>();
    l.add("# Written by tandem before every start of this server; change tandem.yaml instead.");
    l.add("[" + section + "]");
    for (Map.Entry<String, String> e : new TreeMap<>(s.parameters()).entrySet()) {
      l.add(e.getKey() + " = " + e.getValue());
    }
    l.add("user = " + s.osUser());
    l.add("datadir = " + s.data());
    l.add("port = " + s.port());
    l.add("bind-address = " + listen());
    l.add("socket = " + socket());
    l.add("pid-file = " + pidFile());
    l.add("tmpdir = " + tmpDir());
    l.add("log-error = " + log());
    l.add("skip-name-resolve = ON");
    l.add("server-id = " + s.serverId());
    l.add("report-host = " + s.node());
    l.add("report-port = " + s.port());
    return l;
  }

  /**
   * mysqld's options: the same server as {@link #text} describes in MySQL's words. Plugin options
   * are {@code loose-}: mysqld --initialize loads no plugin and would refuse them.
   */
  private String mysqlText(boolean replica) {
    List<String> l = server("mysqld");
    l.add("secure-file-priv = " + files());
    // The X protocol would listen on 33060 for every server on the machine: one port per server is enough.
    l.add("mysqlx = OFF");
    l.add("log-bin = binlog");
    l.add("log-bin-index = binlog.index");
    l.add("relay-log = relay");
    l.add("log-replica-updates = ON"); // row-based binlogs are MySQL's default (binlog_format is deprecated)
    l.add("gtid-mode = ON");
    l.add("enforce-gtid-consistency = ON");
    l.add("sync-binlog = 1");
    l.add("innodb-flush-log-at-trx-commit = 1");
    l.add("ssl-cert = " + serverCert());
    l.add("ssl-key = " + serverKey());
    l.add("skip-replica-start = ON");
    l.add("replica-net-timeout = 4");
    // super_read_only also stops accounts with SUPER or CONNECTION_ADMIN, which read_only lets write.
    l.add("read-only = " + (replica ? "ON" : "OFF"));
    l.add("super-read-only = " + (replica ? "ON" : "OFF"));
    l.add("plugin-load-add = semisync_source.so;semisync_replica.so;mysql_clone.so");
    l.add("loose-rpl-semi-sync-replica-enabled = ON");
    l.add("loose-rpl-semi-sync-source-enabled = " + (!replica && semiSync ? "ON" : "OFF"));
    l.add("loose-rpl-semi-sync-source-wait-point = AFTER_SYNC");
    l.add("loose-rpl-semi-sync-source-wait-for-replica-count = 1");
    l.add("loose-rpl-semi-sync-source-wait-no-replica = ON");
    // MySQL would fall back to asynchronous commits by itself after this long: tandem does, and says so.
    l.add("loose-rpl-semi-sync-source-timeout = 4294967295");
    for (String db : s.databases()) {
      l.add("replicate-do-db = " + db);
    }
    return String.join("\n", l) + "\n";
  }

  private String listen() {
    String h = s.listenHost();
    if (h.equals("0.0.0.0") || h.equals("::") || h.equals("*")) {
      return "*";
    }
    return h.equals("127.0.0.1") || h.equals("localhost") ? "127.0.0.1" : h + ",127.0.0.1";
  }

  /** Creates {@code dir} if needed, owned by the server's user, mode 0700. */
  void privateDir(Path dir) throws IOException {
    Files.createDirectories(dir);
    own(dir, "rwx------");
  }

  void privateFile(Path file, String text) throws IOException {
    Path tmp = file.resolveSibling("." + file.getFileName() + ".tmp");
    Files.deleteIfExists(tmp);
    Files.createFile(tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    Files.writeString(tmp, text, StandardOpenOption.TRUNCATE_EXISTING);
    own(tmp, "rw-------");
    Files.move(tmp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
  }

  void own(Path p, String mode) throws IOException {
    PosixFileAttributeView v = Files.getFileAttributeView(p, PosixFileAttributeView.class, LinkOption.NOFOLLOW_LINKS);
    if (!s.osUser().equals(System.getProperty("user.name"))) {
      UserPrincipalLookupService users = FileSystems.getDefault().getUserPrincipalLookupService();
      v.setOwner(users.lookupPrincipalByName(s.osUser()));
      try {
        v.setGroup(users.lookupPrincipalByGroupName(s.osUser()));
      } catch (IOException noSuchGroup) {
        // The owner is what matters.
      }
    }
    v.setPermissions(PosixFilePermissions.fromString(mode));
  }
}
