package tandem.config;

import java.net.URI;
import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;

/** What a health check probes; the key that introduced it in tandem.yaml is its {@link #kind()}. */
public sealed interface CheckTarget {

  /** "tcp", "http", "command", "process", "disk" or "sql". */
  String kind();

  /**
   * Passes when a TCP connection to the address opens within the timeout.
   *
   * @param address where to connect
   */
  record Tcp(HostPort address) implements CheckTarget {
    public Tcp {
      Objects.requireNonNull(address, "address");
    }

    @Override
    public String kind() {
      return "tcp";
    }
  }

  /**
   * Passes when a GET of the URL answers with the expected status (and body, if set).
   *
   * @param url an http or https URL
   * @param expectStatus the status to expect; 0 accepts any 2xx or 3xx
   * @param expectBody text the response body must contain
   * @param insecure true to accept any TLS certificate
   */
  record Http(URI url, int expectStatus, Optional<String> expectBody, boolean insecure) implements CheckTarget {
    public Http {
      Objects.requireNonNull(url, "url");
      if (expectStatus != 0) {
        Checks.range(expectStatus, 100, 599, "expectStatus");
      }
      Objects.requireNonNull(expectBody, "expectBody");
    }

    @Override
    public String kind() {
      return "http";
    }
  }

  /**
   * Passes when the shell command exits 0.
   *
   * @param command run with {@code sh -c}
   */
  record Command(String command) implements CheckTarget {
    public Command {
      Checks.notBlank(command, "command");
    }

    @Override
    public String kind() {
      return "command";
    }
  }

  /**
   * Passes when the process is alive, found by pid file or by name; exactly one of the two is present.
   *
   * @param pidfile a file holding the process id
   * @param name the process name, as in {@code pgrep -x}
   */
  record Process(Optional<Path> pidfile, Optional<String> name) implements CheckTarget {
    public Process {
      if (pidfile.isPresent() == name.isPresent()) {
        throw new IllegalArgumentException("a process check needs exactly one of pidfile and name");
      }
    }

    @Override
    public String kind() {
      return "process";
    }
  }

  /**
   * Passes while the file system holding the path has enough free space; one of the two limits is more than 0.
   *
   * @param path any path on the file system to watch
   * @param minFreeBytes the least free space in bytes, or 0
   * @param minFreePercent the least free space in percent of the size, or 0
   */
  record Disk(Path path, long minFreeBytes, int minFreePercent) implements CheckTarget {
    public Disk {
      Objects.requireNonNull(path, "path");
      Checks.range(minFreePercent, 0, 100, "minFreePercent");
      if (minFreeBytes < 0 || (minFreeBytes == 0 && minFreePercent == 0)) {
        throw new IllegalArgumentException("a disk check needs minFreeBytes or minFreePercent above 0");
      }
    }

    @Override
    public String kind() {
      return "disk";
    }
  }

  /**
   * Passes when the query runs on this node's database of the group (its first {@code postgres}
   * resource) within the timeout, in a read-only transaction as tandem's own role, and, if
   * {@code expect} is set, the first column of its first row reads as that text.
   *
   * @param query the SQL to run, e.g. "SELECT 1"
   * @param database the database to connect to; empty for the server's default (postgres)
   * @param expect the text the first column of the first row must read as
   */
  record Sql(String query, Optional<String> database, Optional<String> expect) implements CheckTarget {
    public Sql {
      Checks.notBlank(query, "query");
      Objects.requireNonNull(database, "database");
      Objects.requireNonNull(expect, "expect");
    }

    @Override
    public String kind() {
      return "sql";
    }
  }
}
