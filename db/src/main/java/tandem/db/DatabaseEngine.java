package tandem.db;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * One database server on this node that tandem replicates (PostgreSQL, MariaDB): the
 * operations failover needs, in the engine's own terms. Every method blocks until done, throws
 * {@link DbException} with a message saying what failed and what to try, and is called by one
 * thread at a time ({@link ReplicatedDatabase} serializes them).
 *
 * <p>Positions are numbers that grow along the engine's change stream (PostgreSQL: WAL LSNs, in
 * bytes; MariaDB: the GTID sequence number of tandem's one replication domain, in transactions),
 * so lag is the primary's position minus the replica's, in the engine's unit.
 */
public interface DatabaseEngine {
  /** A short description for messages, e.g. "postgres 15 /var/lib/tandem/pg :5432". */
  String describe();

  /**
   * A connection as tandem's own role to {@code database} (empty: the server's default) on this
   * node's running server, for {@code sql} health checks; {@code timeout} bounds connecting.
   */
  default Connection connect(Optional<String> database, Duration timeout) throws SQLException {
    throw new SQLFeatureNotSupportedException(describe() + " does not support sql checks yet");
  }

  /** True when the data directory holds a database (cloned, bootstrapped or adopted). */
  boolean initialized();

  /** True when the server's process runs. */
  boolean running();

  /** What the data directory is: a primary's, a replica's, or none yet. */
  LocalRole localRole();

  /**
   * Makes a new database for the group's first primary (or adopts the one already in the data
   * directory), creates tandem's own roles with new passwords, and leaves the server stopped.
   */
  void bootstrap() throws DbException;

  /** Starts the server as a primary (accepting writes); does nothing if it runs as one. */
  void startPrimary() throws DbException;

  /** Promotes a replica (starting it first if it is stopped) and waits until it accepts writes. */
  void promote() throws DbException;

  /** Starts the server as a replica streaming from {@code upstream}; restarts it if it streams from another one. */
  void startReplica(Upstream upstream) throws DbException;

  /**
   * Makes this node's data a replica of {@code upstream} again after the primary changed: keeps
   * what can be kept (a replica on the new primary's history just follows), rewinds diverged data
   * after copying it aside, and clones afresh when a rewind is impossible. Leaves the server
   * running as a replica.
   *
   * @param tag names the copies of the old data, e.g. "3-20261205T051000Z"
   */
  Rejoin rejoin(Upstream upstream, String tag) throws DbException;

  /** Stops the server (fast: open transactions are rolled back); does nothing if it is stopped. */
  void stop() throws DbException;

  /**
   * Ends this node's time as primary: after it returns no client can write here. Streaming
   * engines stop the server. Engines whose replicas take copies keep it running read-only, every
   * client's connection killed, so the next primary can take a last copy with every write (it is
   * stopped when this node rejoins the group or the agent stops).
   */
  default void demote() throws DbException {
    stop();
  }

  /** The connection facts replicas need, with this node as their upstream. */
  Upstream asUpstream(String node, String host, long epoch) throws DbException;

  /** Keeps the credentials a replica received from its primary (it needs them to watch its own server). */
  void keepCredentials(Upstream upstream) throws DbException;

  /** Makes sure each named replica has its own replication slot here (a primary only). */
  void ensureSlots(List<String> replicas) throws DbException;

  /**
   * Makes commits on this primary wait until {@code count} of {@code standbys} have them (0: do
   * not wait). Takes effect at once, without a restart.
   */
  void setSynchronous(List<String> standbys, int count) throws DbException;

  /** How far this server is, and on a primary how far each replica is. */
  DbStatus status();

  /** Shell commands that stop the server without this JVM, for the fencing watchdog. */
  List<String> fenceCommands();

  /**
   * Writes a physical copy of this primary's database to {@code out} for a replica to clone
   * from (MariaDB: mariadb-backup's xbstream); engines whose replicas copy by their own
   * connection (PostgreSQL: pg_basebackup) refuse.
   */
  default void streamClone(java.io.OutputStream out) throws DbException {
    throw new DbException(describe() + " does not stream copies of itself; its replicas copy it over their own connection");
  }

  /**
   * How often a replica takes a copy when this engine replicates by periodic consistent copies
   * (MariaDB {@code replication: dump}) instead of streaming changes; empty when it streams.
   */
  default Optional<Duration> copyInterval() {
    return Optional.empty();
  }

  /**
   * Takes a consistent copy of {@code upstream}'s databases and installs it on this replica in
   * place of the previous one (readers see the old copy or the new one, never half of one).
   * Returns the copy's consistent point: every write upstream committed before it is in the copy.
   * A failure leaves the previous copy in place. Only for engines with a {@link #copyInterval()}.
   */
  default java.time.Instant copyFrom(Upstream upstream) throws DbException {
    throw new DbException(describe() + " streams its primary's changes; it takes no copies");
  }

  /**
   * The consistent point of the last completed copy of this replica, when it replicates by copies
   * (a failover to it loses every write after it); empty when it streams, has none, or is a primary.
   */
  default Optional<java.time.Instant> lastCopy() {
    return Optional.empty();
  }

  /** What a data directory is. */
  enum LocalRole {
    /** Nothing there yet: clone or bootstrap. */
    EMPTY,
    /** A primary's data (it ran, or last ran, accepting writes). */
    PRIMARY,
    /** A replica's data (standby.signal in PostgreSQL). */
    REPLICA
  }
}
