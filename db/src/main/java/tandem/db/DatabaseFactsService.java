package tandem.db;

import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import tandem.core.Event;
import tandem.core.EventSink;
import tandem.core.Level;
import tandem.core.NodeId;
import tandem.transport.TransportServer;
import tandem.transport.proto.CloneChunk;
import tandem.transport.proto.DatabaseFactsGrpc;
import tandem.transport.proto.UpstreamReply;
import tandem.transport.proto.UpstreamRequest;

/**
 * The primary's end of the database connection facts, on the agent's transport server (which
 * admits only pinned cluster members). It answers only while this node is the group's primary
 * under the epoch the caller names and its server runs as primary, and only to another data node
 * of the group; anything else is refused with a reason and no secret.
 */
public final class DatabaseFactsService extends DatabaseFactsGrpc.DatabaseFactsImplBase {
  private final String self;
  private final DbPeers peers;
  private final EventSink events;
  private final Map<String, ReplicatedDatabase> databases = new ConcurrentHashMap<>();

  public DatabaseFactsService(String self, DbPeers peers, EventSink events) {
    this.self = self;
    this.peers = peers;
    this.events = events;
  }

  /** Makes the {@code resource}-th database of {@code group} answerable. */
  public void register(String group, int resource, ReplicatedDatabase db) {
    databases.put(group + "#" + resource, db);
  }

  @Override
  public void upstream(UpstreamRequest req, StreamObserver<UpstreamReply> out) {
    Status refusal = refusal(req);
    if (refusal != null) {
      out.onError(refusal.asRuntimeException());
      return;
    }
    ReplicatedDatabase db = databases.get(req.getGroup() + "#" + req.getResource());
    try {
      Optional<Upstream> u = db.facts(req.getEpoch());
      if (u.isEmpty()) {
        out.onError(Status.UNAVAILABLE.withDescription(db.describe() + " on " + self + " does not run as primary under epoch "
            + req.getEpoch() + " yet; retry").asRuntimeException());
        return;
      }
      Upstream f = u.get();
      out.onNext(UpstreamReply.newBuilder().setNode(f.node()).setHost(f.host()).setPort(f.port())
          .setReplicationUser(f.replicationUser()).setReplicationPassword(f.replicationPassword())
          .setAdminUser(f.adminUser()).setAdminPassword(f.adminPassword()).setCertificatePem(f.certificatePem())
          .setEpoch(f.epoch()).build());
      out.onCompleted();
    } catch (DbException e) {
      out.onError(Status.UNAVAILABLE.withDescription(e.getMessage()).asRuntimeException());
    }
  }

  /** A copy of the database, streamed in chunks as the engine writes it, to the same callers {@link #upstream} answers. */
  @Override
  public void copy(UpstreamRequest req, StreamObserver<CloneChunk> out) {
    Status refusal = refusal(req);
    if (refusal != null) {
      out.onError(refusal.asRuntimeException());
      return;
    }
    ReplicatedDatabase db = databases.get(req.getGroup() + "#" + req.getResource());
    io.grpc.stub.ServerCallStreamObserver<CloneChunk> call = (io.grpc.stub.ServerCallStreamObserver<CloneChunk>) out;
    Thread.ofVirtual().name("db-clone-" + req.getGroup()).start(() -> {
      try (CloneChunks chunks = new CloneChunks(call)) {
        db.streamClone(req.getEpoch(), chunks);
      } catch (DbException | java.io.IOException e) {
        if (!call.isCancelled()) {
          call.onError(Status.UNAVAILABLE.withDescription(e.getMessage()).asRuntimeException());
        }
        return;
      }
      call.onCompleted();
    });
  }

  /** Why {@code req} is refused, or null when it may be answered. */
  private Status refusal(UpstreamRequest req) {
    NodeId caller = TransportServer.caller();
    String group = req.getGroup();
    ReplicatedDatabase db = databases.get(group + "#" + req.getResource());
    Optional<DbPeers.Primary> p = peers.primary(group);
    Status refusal = null;
    if (db == null) {
      refusal = Status.NOT_FOUND.withDescription(self + " has no database #" + req.getResource() + " in group " + group);
    } else if (peers.replicas(group).stream().noneMatch(r -> r.id().equals(caller))) {
      refusal = Status.PERMISSION_DENIED.withDescription("node " + caller.shortForm() + " is not a data node of " + group);
      events.emit(new Event(Instant.now(), Level.WARNING, "db-facts-refused", self, group, refusal.getDescription()));
    } else if (p.isEmpty() || !p.get().name().equals(self)) {
      refusal = Status.FAILED_PRECONDITION.withDescription(self + " is not the primary of " + group
          + p.map(x -> " (" + x.name() + " is, epoch " + x.epoch() + ")").orElse(""));
    } else if (p.get().epoch() != req.getEpoch()) {
      refusal = Status.FAILED_PRECONDITION.withDescription("epoch " + req.getEpoch() + " of " + group + " is not the current one ("
          + p.get().epoch() + ")");
    }
    return refusal;
  }
}
