package tandem.db.postgres;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import tandem.db.Upstream;

/**
 * The parts of a data directory's configuration tandem owns: {@code tandem.conf} (included at the
 * end of postgresql.conf, so it wins), a block at the top of pg_hba.conf, the TLS files, and
 * standby.signal. Written before every start, because pg_basebackup and pg_rewind copy the
 * primary's files over this node's.
 */
final class PgConf {
  static final String INCLUDE = "include_if_exists = 'tandem.conf'  # tandem: its own settings, written at every start";
  static final String HBA_BEGIN = "# tandem: begin (written by tandem at every start; edit outside this block)";
  static final String HBA_END = "# tandem: end";

  private final PostgresSettings s;
  private final PgFiles files;
  /** synchronous_standby_names on a primary, e.g. ANY 1 ("n2", "n3"); "" for asynchronous commits. */
  private volatile String synchronousNames = "";

  PgConf(PostgresSettings s, PgFiles files) {
    this.s = s;
    this.files = files;
  }

  String synchronousNames() {
    return synchronousNames;
  }

  void synchronousNames(String names) {
    synchronousNames = names;
  }

  Path serverCert() {
    return s.support().resolve("server.crt");
  }

  Path serverKey() {
    return s.support().resolve("server.key");
  }

  Path upstreamCert() {
    return s.support().resolve("upstream.crt");
  }

  Path log() {
    return s.support().resolve("server.log");
  }

  /** The support dir with this node's certificate and key, and (for a replica) the upstream's certificate. */
  void writeSupport(Upstream upstream) throws IOException {
    files.privateDir(s.support());
    if (s.parameters().getOrDefault("archive_command", "").contains(WalArchive.script(s.data()).toString())) {
      files.privateDir(WalArchive.spool(s.data()));
      files.privateFile(WalArchive.script(s.data()), WalArchive.scriptText(s.data()));
      files.own(WalArchive.script(s.data()), "rwx------");
    }
    files.privateFile(serverCert(), s.certificatePem());
    files.privateFile(serverKey(), s.keyPem());
    if (upstream != null) {
      files.privateFile(upstreamCert(), upstream.certificatePem());
    }
  }

  /** Writes everything for a start as primary ({@code upstream} null, {@code standby} false) or replica. */
  void write(Upstream upstream, boolean standby) throws IOException {
    writeSupport(upstream);
    Path data = s.data();
    Path main = data.resolve("postgresql.conf");
    String text = Files.exists(main) ? Files.readString(main) : "";
    if (!text.contains(INCLUDE)) {
      Files.writeString(main, text + (text.endsWith("\n") || text.isEmpty() ? "" : "\n") + INCLUDE + "\n");
    }
    files.privateFile(data.resolve("tandem.conf"), tandemConf(upstream));
    writeHba(data.resolve("pg_hba.conf"));
    Path signal = data.resolve("standby.signal");
    if (standby) {
      files.privateFile(signal, "");
    } else {
      Files.deleteIfExists(signal);
    }
  }

  String tandemConf(Upstream upstream) {
    List<String> lines = new ArrayList<>();
    lines.add("# Written by tandem before every start of this server; change tandem.yaml instead.");
    for (Map.Entry<String, String> e : new java.util.TreeMap<>(s.parameters()).entrySet()) {
      lines.add(e.getKey() + " = " + value(e.getValue()));
    }
    lines.add("port = " + s.port());
    lines.add("listen_addresses = " + value(listen()));
    // No Unix socket: tandem connects over TCP, and the packaged default directory may belong to another server.
    lines.add("unix_socket_directories = ''");
    lines.add("wal_level = replica");
    lines.add("hot_standby = on");
    lines.add("wal_log_hints = on");
    lines.add("max_wal_senders = 16");
    lines.add("max_replication_slots = 16");
    // What a returning old primary needs to rewind, kept even while no slot holds it.
    lines.add("wal_keep_size = '512MB'");
    lines.add("hot_standby_feedback = on");
    lines.add("ssl = on");
    lines.add("ssl_cert_file = " + value(serverCert().toString()));
    lines.add("ssl_key_file = " + value(serverKey().toString()));
    lines.add("recovery_target_timeline = 'latest'");
    if (upstream != null) {
      lines.add("primary_conninfo = " + value(conninfo(upstream)));
      lines.add("primary_slot_name = " + value(PostgresSettings.slotOf(s.node())));
    } else {
      lines.add("primary_conninfo = ''");
      lines.add("primary_slot_name = ''");
    }
    lines.add("synchronous_standby_names = " + value(upstream == null ? synchronousNames : ""));
    return String.join("\n", lines) + "\n";
  }

  /** The libpq connection string of a replica to its upstream: TLS, certificate pinned. */
  String conninfo(Upstream u) {
    return "host=" + u.host() + " port=" + u.port() + " user=" + u.replicationUser() + " password=" + u.replicationPassword()
        + " application_name=" + s.node() + " sslmode=verify-ca sslrootcert=" + upstreamCert() + " connect_timeout=5";
  }

  private String listen() {
    String h = s.listenHost();
    if (h.equals("0.0.0.0") || h.equals("::") || h.equals("*")) {
      return "*";
    }
    return h.equals("127.0.0.1") || h.equals("localhost") ? "127.0.0.1" : h + ",127.0.0.1";
  }

  static String value(String v) {
    return "'" + v.replace("\\", "\\\\").replace("'", "''") + "'";
  }

  private void writeHba(Path hba) throws IOException {
    String old = Files.exists(hba) ? Files.readString(hba) : "";
    int b = old.indexOf(HBA_BEGIN);
    int e = old.indexOf(HBA_END);
    if (b >= 0 && e > b) {
      old = old.substring(0, b) + old.substring(e + HBA_END.length()).replaceFirst("^\n", "");
    }
    String block = HBA_BEGIN + "\n"
        + "host    all          " + PostgresEngine.ADMIN + "        127.0.0.1/32  scram-sha-256\n"
        + "hostssl all          " + PostgresEngine.ADMIN + "        all           scram-sha-256\n"
        + "hostssl replication  " + PostgresEngine.REPLICATION + "  all           scram-sha-256\n"
        + "host    all          " + PostgresEngine.REPLICATION + "  all           reject\n"
        + HBA_END + "\n";
    files.privateFile(hba, block + old);
  }
}
