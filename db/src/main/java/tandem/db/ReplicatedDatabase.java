package tandem.db;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tandem.core.Event;
import tandem.core.EventSink;
import tandem.core.Level;

/**
 * A group's database on this node, kept in the role the cluster gives the node. As primary (between
 * {@link #becomePrimary} and {@link #stepDown}, called by the group's resource chain) it accepts
 * writes and keeps a replication slot for each other data node. Otherwise, once a second, it
 * follows the group's current primary: it asks that node for the connection facts under the
 * current epoch and (re)starts the server as its replica; after a change of primary it rejoins,
 * which rewinds or re-clones data that went past the new primary's history (kept aside, reported).
 *
 * <p>An engine that replicates by periodic copies ({@link DatabaseEngine#copyInterval()}, MariaDB
 * {@code replication: dump}) streams nothing: the follower takes a copy from the primary once
 * under each new epoch and then every interval, emits {@code db-dump-failed} when one fails (the
 * previous copy stays), and a promotion says how much time of writes the promoted copy lacks.
 *
 * <p>Every operation on the engine runs under this object's lock, so the follower and a promotion
 * never act at once (a promotion waits for a copy in progress, which is then the newest).
 */
public final class ReplicatedDatabase implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ReplicatedDatabase.class);
  private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'").withZone(ZoneOffset.UTC);

  private final String self;
  private final String group;
  private final int resource;
  private final DatabaseEngine engine;
  private final DbPeers peers;
  private final UpstreamSource upstreams;
  private final EventSink events;
  private final Path roleFile;
  private final String host;
  private final ScheduledExecutorService follower;
  private final ScheduledExecutorService positions;
  /** How often the position is read for the node's reports. */
  static final java.time.Duration POSITION_EVERY = java.time.Duration.ofMillis(300);
  private volatile long primaryEpoch;
  private volatile long followingEpoch;
  private volatile String lastProblem = "";
  private volatile boolean closed;
  private volatile long position = -1;
  /** How many standbys must have a commit before it is acknowledged; 0 for asynchronous commits. */
  private volatile int synchronousCount;
  /** After how long without enough standbys commits stop waiting for them; null: they wait (block). */
  private volatile java.time.Duration synchronousFallback;
  private boolean fellBack;
  private int appliedCount;
  private List<String> appliedNames = List.of();
  private List<String> slotsFor = List.of();
  private long enoughStandbysNanos;
  private long slotsCheckedNanos;
  /** With copies: the primary being copied, the epoch of the last copy, and when the next one is due. */
  private Upstream copySource;
  private long copiedEpoch;
  private long nextCopyNanos;
  private volatile String copyProblem = "";

  /**
   * @param roleFile where the node's last database role is kept (in tandem's data dir)
   * @param host the address replicas reach this node's database at
   */
  public ReplicatedDatabase(String self, String group, int resource, DatabaseEngine engine, DbPeers peers,
      UpstreamSource upstreams, EventSink events, Path roleFile, String host) {
    this.self = self;
    this.group = group;
    this.resource = resource;
    this.engine = engine;
    this.peers = peers;
    this.upstreams = upstreams;
    this.events = events;
    this.roleFile = roleFile;
    this.host = host;
    this.follower = Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().daemon()
        .name("db-follower-" + group + "-" + resource).factory());
    this.positions = Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().daemon()
        .name("db-position-" + group + "-" + resource).factory());
  }

  /**
   * Synchronous commits: on the primary, a commit waits until {@code count} standbys have it;
   * with a {@code fallback}, commits stop waiting after that long without enough standbys (a
   * WARNING event says so) and wait again once they are back.
   */
  public ReplicatedDatabase synchronous(int count, java.time.Duration fallback) {
    this.synchronousCount = count;
    this.synchronousFallback = fallback;
    return this;
  }

  /** Starts following the group's primary whenever this node is not it. */
  public ReplicatedDatabase start() {
    follower.scheduleWithFixedDelay(this::tick, 0, 1, TimeUnit.SECONDS);
    // After a fallback, commits wait again as soon as enough standbys stream, not up to a tick later: until then a
    // failover may lose acknowledged commits.
    follower.scheduleWithFixedDelay(this::restoreSynchronous, RESTORE_EVERY.toMillis(), RESTORE_EVERY.toMillis(),
        TimeUnit.MILLISECONDS);
    // Fresh positions decide who is promoted: after the primary dies, each replica's last one
    // must reach the leader before the lease runs out (2.3 s with the defaults).
    positions.scheduleWithFixedDelay(this::readPosition, 0, POSITION_EVERY.toMillis(), TimeUnit.MILLISECONDS);
    return this;
  }

  public DatabaseEngine engine() {
    return engine;
  }

  public String describe() {
    return engine.describe();
  }

  /**
   * Makes this node's database the group's writable primary under {@code epoch}: bootstraps it on
   * the group's very first start, promotes a replica, or starts a primary's data again.
   */
  public synchronized void becomePrimary(long epoch) throws DbException {
    if (primaryEpoch == epoch && engine.running()) {
      return;
    }
    CompletableFuture<Set<String>> standbysUp = null;
    DbRole last = readRole();
    switch (engine.localRole()) {
      case EMPTY -> {
        if (last != null || epoch > 1) {
          throw new DbException(self + " has no copy of the database of " + group + " (epoch " + epoch + "); it cannot"
              + " become primary before it has cloned one from a primary");
        }
        engine.bootstrap();
        engine.startPrimary();
        emit(Level.WARNING, "db-bootstrapped", "created a new database for " + group + ": " + engine.describe());
      }
      case PRIMARY -> {
        if (last != null && last.primary() && last.epoch() < epoch - 1) {
          emit(Level.WARNING, "db-restarted", "starting " + engine.describe() + " as primary under epoch " + epoch
              + " with the data it had as primary under epoch " + last.epoch() + "; anything a primary of the epochs"
              + " in between wrote is not in it");
        }
        if (last == null && !engine.running()) {
          engine.bootstrap();
        }
        engine.startPrimary();
      }
      case REPLICA -> {
        boolean lossless = finalCopy();
        Optional<Instant> copy = engine.lastCopy();
        // Synchronous mode holds from the first commit: the standby names go into the server's
        // settings before it opens for writes, not a tick after (a commit acknowledged in between
        // existed on the new primary alone; bench/postgres.sh saw one 1 s after a promotion).
        engine.setSynchronous(standbyNames(), synchronousCount);
        standbysUp = askStandbys();
        engine.promote();
        emit(Level.WARNING, "db-promoted", engine.describe() + " promoted to primary of " + group + " (epoch " + epoch + ")");
        if (lossless) {
          emit(Level.INFO, "db-final-copy", engine.describe() + " was promoted from a last copy of " + copySource.node()
              + " taken after it stopped accepting writes (consistent at " + copy.orElseThrow() + "): no write was lost");
        } else {
          copy.ifPresent(c -> emit(Level.WARNING, "db-writes-lost", engine.describe() + " was promoted from its last dump"
              + " copy, consistent at " + c + ": writes the old primary took after that are not in it, up to "
              + age(c)
              + " of writes (replication: dump); the old primary's data directory is kept when it returns"));
        }
      }
    }
    writeRole(new DbRole(true, epoch));
    primaryEpoch = epoch;
    followingEpoch = 0;
    ensureSlots();
    fellBack = false;
    enoughStandbysNanos = System.nanoTime();
    appliedCount = synchronousCount;
    appliedNames = standbyNames();
    engine.setSynchronous(appliedNames, appliedCount);
    if (standbysUp != null) {
      standbysUp.thenAccept(up -> fallBackWithoutStandbys(epoch, up));
    }
  }

  /** How long a promotion asks the group's other data nodes whether they answer. */
  static final java.time.Duration STANDBYS_ASKED_FOR = java.time.Duration.ofSeconds(1);

  /**
   * At a promotion with synchronous commits that fall back: which of the group's other data nodes answer
   * (asked on a thread of its own while the server is promoted); null when there is nothing to decide.
   */
  private CompletableFuture<Set<String>> askStandbys() {
    if (synchronousCount <= 0 || synchronousFallback == null) {
      return null;
    }
    return CompletableFuture.supplyAsync(() -> {
      try {
        return peers.answering(group, STANDBYS_ASKED_FOR);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return null;
      }
    }, r -> Thread.ofVirtual().name("db-standbys-" + group).start(r));
  }

  /**
   * After a failover the old primary's agent is down or cut off, and with two data nodes it was the only
   * standby: waiting the fallback time for it would only hold the new primary's first commits, which
   * then go through unacknowledged anyway. So when fewer of the standbys answer than a commit waits for,
   * commits stop waiting at once (and wait again once enough of them stream, as after any fallback).
   */
  private synchronized void fallBackWithoutStandbys(long epoch, Set<String> up) {
    if (up == null || closed || primaryEpoch != epoch || fellBack || appliedCount <= 0) {
      return;
    }
    List<String> silent = appliedNames.stream().filter(n -> !up.contains(n)).toList();
    if (appliedNames.size() - silent.size() >= appliedCount) {
      return; // enough of them can stream soon: the fallback time counts as usual
    }
    try {
      engine.setSynchronous(appliedNames, 0);
      fellBack = true;
      emit(Level.WARNING, "db-synchronous-fallback", engine.describe() + " was promoted while " + String.join(", ", silent)
          + (silent.size() == 1 ? " does" : " do") + " not answer (agent down or cut off), leaving fewer than the "
          + appliedCount + " standbys a commit waits for: commits no longer wait (synchronous-fallback) rather than after "
          + tandem.core.Durations.format(synchronousFallback) + ", so a failover now may lose acknowledged commits; they wait again once "
          + appliedCount + (appliedCount == 1 ? " standby streams" : " standbys stream"));
    } catch (DbException e) {
      LOG.warn("{}: {}", group, e.getMessage());
    }
  }

  /** Stops the server: this node no longer holds the group (demoted, or its lease lapsed). */
  public synchronized void stepDown() throws DbException {
    primaryEpoch = 0;
    followingEpoch = 0;
    engine.demote();
  }

  /** The connection facts for replicas, while this node's server runs as primary under {@code epoch}. */
  public Optional<Upstream> facts(long epoch) throws DbException {
    if (primaryEpoch != epoch || !engine.running()) {
      return Optional.empty();
    }
    return Optional.of(engine.asUpstream(self, host, epoch));
  }

  /** Writes a copy of this primary's database for a replica to {@code out}, while it runs as primary under {@code epoch}. */
  public void streamClone(long epoch, java.io.OutputStream out) throws DbException {
    if (primaryEpoch != epoch || !engine.running()) {
      throw new DbException(engine.describe() + " on " + self + " does not run as primary under epoch " + epoch + "; retry");
    }
    engine.streamClone(out);
  }

  /** The database's state for status and metrics; a replica whose last copy failed is "dump-failing". */
  public DbStatus status() {
    DbStatus st = engine.status().of(group, resource);
    if (!st.role().equals("primary") && primaryEpoch == 0 && !lastProblem.isEmpty()) {
      // Said once as a db-follow-failed event; while it lasts, status says it too.
      List<String> warnings = new java.util.ArrayList<>(st.warnings());
      warnings.add("not following the primary: " + lastProblem + " (trying again every second)");
      st = st.withWarnings(warnings);
    }
    return st.dumps() && st.role().equals("replica") && !copyProblem.isEmpty() ? st.inState("dump-failing") : st;
  }

  /** Why the last copy from the primary failed, or "" (replication by copies only). */
  public String copyProblem() {
    return copyProblem;
  }

  /** Why the follower could not follow the primary last time, or "". */
  public String problem() {
    return lastProblem;
  }

  /** The position last read (at most {@link #POSITION_EVERY} old): written on a primary, received on a replica; -1 unknown. */
  public long position() {
    return position;
  }

  private void readPosition() {
    try {
      position = engine.running() ? engine.status().position() : -1;
    } catch (RuntimeException e) {
      LOG.warn("cannot read the position of {}: {}", engine.describe(), e.toString());
    }
  }

  private void tick() {
    try {
      follow();
    } catch (RuntimeException e) {
      LOG.error("database follower of {} failed; please report it as a bug", group, e);
    }
  }

  synchronized void follow() {
    if (closed) {
      return;
    }
    if (primaryEpoch != 0) {
      // Nodes that join after the first start need their slots at once: they clone as soon as they can.
      if (System.nanoTime() - slotsCheckedNanos > TimeUnit.SECONDS.toNanos(10) || !standbyNames().equals(slotsFor)) {
        ensureSlots();
      }
      keepSynchronous();
      return;
    }
    Optional<DbPeers.Primary> p = peers.primary(group);
    if (p.isEmpty() || p.get().name().equals(self)) {
      return;
    }
    if (followingEpoch == p.get().epoch() && engine.running()) {
      copyWhenDue();
      return;
    }
    try {
      Upstream u = upstreams.fetch(group, resource, p.get());
      engine.keepCredentials(u);
      DbRole last = readRole();
      if (last != null && !last.primary() && last.epoch() == u.epoch() && engine.localRole() == DatabaseEngine.LocalRole.REPLICA) {
        if (!engine.running()) {
          engine.startReplica(u);
        }
        emit(Level.INFO, "db-following", engine.describe() + " streams from " + u.node() + " (epoch " + u.epoch() + ")");
      } else {
        rejoin(u);
      }
      writeRole(new DbRole(false, u.epoch()));
      followingEpoch = u.epoch();
      copySource = u;
      lastProblem = "";
    } catch (DbException e) {
      if (!e.getMessage().equals(lastProblem)) {
        emit(Level.WARNING, "db-follow-failed", "cannot follow " + p.get().name() + " (epoch " + p.get().epoch() + "): "
            + e.getMessage() + "; retrying every second");
      }
      lastProblem = e.getMessage();
    }
  }

  /**
   * With copies, before a promotion: one last copy from the old primary, which (demoted, or its
   * lease lapsed) runs read-only if it runs at all, so the copy has every write it took. Fails
   * fast when it is down (then the last periodic copy is promoted and the loss is reported).
   */
  private boolean finalCopy() {
    Upstream u = copySource;
    if (engine.copyInterval().isEmpty() || u == null) {
      return false;
    }
    try {
      engine.copyFrom(u);
      return true;
    } catch (DbException e) {
      LOG.info("{}: no last copy from {} before the promotion: {}", group, u.node(), e.getMessage());
      return false;
    }
  }

  /** With copies: takes one from the primary at once under a new epoch, then every interval (sooner after a failure). */
  private void copyWhenDue() {
    Optional<java.time.Duration> every = engine.copyInterval();
    Upstream u = copySource;
    if (every.isEmpty() || u == null || (copiedEpoch == u.epoch() && System.nanoTime() - nextCopyNanos < 0)) {
      return;
    }
    long started = System.nanoTime();
    try {
      Instant point = engine.copyFrom(u);
      copiedEpoch = u.epoch();
      nextCopyNanos = started + every.get().toNanos();
      LOG.info("{}: copied {} (consistent at {}) in {} ms", group, u.node(), point,
          TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started));
      if (!copyProblem.isEmpty()) {
        emit(Level.INFO, "db-dump-recovered", engine.describe() + " installed a dump of " + u.node() + " again, consistent at "
            + point);
      }
      copyProblem = "";
    } catch (DbException e) {
      java.time.Duration retry = every.get().compareTo(COPY_RETRY) < 0 ? every.get() : COPY_RETRY;
      nextCopyNanos = System.nanoTime() + retry.toNanos();
      copiedEpoch = u.epoch();
      copyProblem = e.getMessage();
      String since = engine.lastCopy().map(c -> "its last copy is of " + c + ", so a failover to it now loses up to "
          + age(c)
          + " of writes").orElse("it has no copy yet");
      emit(Level.WARNING, "db-dump-failed", engine.describe() + " could not take its dump of " + u.node() + ": " + e.getMessage()
          + "; " + since + "; retrying in " + tandem.core.Durations.format(retry));
    }
  }

  /** How long ago {@code copy} was consistent, to the second, e.g. "3m12s". */
  private static String age(Instant copy) {
    return tandem.core.Durations.format(java.time.Duration.between(copy, Instant.now()).truncatedTo(
        java.time.temporal.ChronoUnit.SECONDS));
  }

  /** How soon a failed copy is tried again (at most: sooner when the interval is shorter). */
  static final java.time.Duration COPY_RETRY = java.time.Duration.ofSeconds(30);

  /** How often a primary that fell back from synchronous commits looks for enough streaming standbys. */
  static final java.time.Duration RESTORE_EVERY = java.time.Duration.ofMillis(250);

  private synchronized void restoreSynchronous() {
    try {
      if (!closed && primaryEpoch != 0 && fellBack) {
        keepSynchronous();
      }
    } catch (RuntimeException e) {
      LOG.error("synchronous commits of {}: the check failed; please report it as a bug", group, e);
    }
  }

  /** On the primary: falls back to asynchronous commits after the fallback time without enough standbys, and back. */
  private void keepSynchronous() {
    int count = synchronousCount;
    java.time.Duration fallback = synchronousFallback;
    List<String> names = standbyNames();
    // The settings changed, or the group's other nodes did (e.g. they joined after the first start).
    if ((count != appliedCount || !names.equals(appliedNames)) && !fellBack) {
      // New settings or new standbys: the time without enough of them counts from now, also when
      // applying them failed (it is tried again next tick; a stale start would fall back at once).
      enoughStandbysNanos = System.nanoTime();
      try {
        engine.setSynchronous(names, count);
        appliedCount = count;
        appliedNames = names;
      } catch (DbException e) {
        LOG.warn("{}: {}", group, e.getMessage());
      }
    }
    if (count <= 0) {
      return;
    }
    long now = System.nanoTime(); // before the read: a slow read must not count as time without standbys
    DbStatus status = engine.status();
    if ("starting".equals(status.state())) {
      return; // the server could not be asked (busy, restarting): nothing is known, nothing is decided
    }
    long streaming = status.replicas().stream()
        .filter(r -> names.contains(r.node()) && "streaming".equals(r.state())).count();
    try {
      if (streaming >= count) {
        enoughStandbysNanos = now;
        if (fellBack) {
          engine.setSynchronous(names, count);
          appliedNames = names;
          fellBack = false;
          emit(Level.WARNING, "db-synchronous-restored", engine.describe() + ": " + streaming + " standbys stream again;"
              + " commits wait for " + count + " of them again");
        }
      } else if (fallback != null && !fellBack && now - enoughStandbysNanos > fallback.toNanos()) {
        engine.setSynchronous(names, 0);
        fellBack = true;
        emit(Level.WARNING, "db-synchronous-fallback", engine.describe() + ": only " + streaming + " of the " + count
            + " standbys a commit waits for have streamed for " + fallback.toSeconds() + " s; commits no longer wait"
            + " (synchronous-fallback), so a failover now may lose acknowledged commits");
      }
    } catch (DbException e) {
      LOG.warn("{}: {}", group, e.getMessage());
    }
  }

  private List<String> standbyNames() {
    return peers.replicas(group).stream().map(DbPeers.Peer::name).sorted().toList();
  }

  private void rejoin(Upstream u) throws DbException {
    String tag = u.epoch() + "-" + STAMP.format(Instant.now());
    Rejoin r = engine.rejoin(u, tag);
    switch (r.how()) {
      case FOLLOWED -> emit(Level.INFO, "db-following", engine.describe() + " " + r.detail() + " (epoch " + u.epoch() + ")");
      case REWOUND -> emit(Level.WARNING, "db-rewound", engine.describe() + " had diverged from " + u.node() + ": " + r.detail()
          + "; remove the kept copy once you have looked at it");
      case CLONED -> {
        // The clone is a fresh copy under this epoch: the next dump is one interval away.
        copiedEpoch = u.epoch();
        nextCopyNanos = System.nanoTime() + engine.copyInterval().orElse(java.time.Duration.ZERO).toNanos();
        if (r.lost().isPresent()) {
          // MariaDB: transactions only this node had (errant GTIDs), saved as SQL before the re-clone.
          emit(Level.WARNING, "db-errant-transactions", engine.describe() + " had transactions " + u.node() + " never got: "
              + r.detail() + "; replay what you need from the SQL file, then remove it and the kept copy");
        }
        emit(r.keptCopy().isPresent() ? Level.WARNING : Level.INFO, "db-cloned", engine.describe() + ": " + r.detail());
      }
    }
  }

  private void ensureSlots() {
    slotsCheckedNanos = System.nanoTime();
    try {
      List<String> names = standbyNames();
      engine.ensureSlots(names);
      slotsFor = names;
    } catch (DbException e) {
      LOG.warn("{}: {}", group, e.getMessage());
    }
  }

  private DbRole readRole() throws DbException {
    try {
      return DbRole.read(roleFile);
    } catch (IOException | RuntimeException e) {
      throw new DbException("cannot read " + roleFile + ": " + e.getMessage() + "; remove it if it is damaged", e);
    }
  }

  private void writeRole(DbRole r) throws DbException {
    try {
      r.write(roleFile);
    } catch (IOException e) {
      throw new DbException("cannot write " + roleFile + ": " + e.getMessage(), e);
    }
  }

  private void emit(Level level, String kind, String message) {
    events.emit(new Event(Instant.now(), level, kind, self, group, message));
  }

  /** Stops following; a replica's server is stopped too (a primary's was stopped by {@link #stepDown}). */
  @Override
  public void close() {
    closed = true;
    follower.shutdownNow();
    positions.shutdownNow();
    synchronized (this) {
      if (primaryEpoch == 0) {
        try {
          engine.stop();
        } catch (DbException e) {
          LOG.warn("cannot stop {}: {}", engine.describe(), e.getMessage());
        }
      }
    }
  }

  /** For messages: which database of which group. */
  @Override
  public String toString() {
    return "ReplicatedDatabase[" + group + "#" + resource + " " + engine.describe() + "]";
  }
}
