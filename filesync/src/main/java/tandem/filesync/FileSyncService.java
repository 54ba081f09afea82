package tandem.filesync;

import io.grpc.BindableService;
import io.grpc.MethodDescriptor;
import io.grpc.ServerMethodDefinition;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
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
import tandem.transport.proto.FileSyncGrpc;
import tandem.transport.proto.SyncDown;
import tandem.transport.proto.SyncOpen;
import tandem.transport.proto.SyncUp;

/**
 * The replica's end of file sync on the agent's transport server. A stream is accepted only from
 * the node that is the group's primary in this node's view, under the epoch this node knows, and
 * never while this node is that group's primary itself; everything else is refused with a
 * message and an event, and writes nothing.
 */
public final class FileSyncService extends FileSyncGrpc.FileSyncImplBase {
  private final String self;
  private final SyncPeers peers;
  private final EventSink events;
  private final Map<String, Receiver> receivers = new ConcurrentHashMap<>();

  public FileSyncService(String self, SyncPeers peers, EventSink events) {
    this.self = self;
    this.peers = peers;
    this.events = events;
  }

  /** Makes the {@code resource}-th files resource of {@code group} receivable. */
  public void register(String group, int resource, Receiver receiver) {
    receivers.put(key(group, resource), receiver);
  }

  private static String key(String group, int resource) {
    return group + "#" + resource;
  }

  /**
   * This service as the transport server should serve it: with {@link SyncUpParser} reading what
   * primaries send (gRPC's own parser copies chunk data twice). Passing the service itself works
   * too, with gRPC's parser.
   */
  public BindableService withAliasingParser() {
    return () -> withParser(bindService());
  }

  private static ServerServiceDefinition withParser(ServerServiceDefinition plain) {
    ServerServiceDefinition.Builder b = ServerServiceDefinition.builder(FileSyncGrpc.SERVICE_NAME);
    for (ServerMethodDefinition<?, ?> m : plain.getMethods()) {
      if (m.getMethodDescriptor().getFullMethodName().equals(FileSyncGrpc.getSyncMethod().getFullMethodName())) {
        @SuppressWarnings("unchecked")
        ServerMethodDefinition<SyncUp, SyncDown> sync = (ServerMethodDefinition<SyncUp, SyncDown>) m;
        MethodDescriptor<SyncUp, SyncDown> d = sync.getMethodDescriptor();
        b.addMethod(d.toBuilder(new SyncUpParser(d.getRequestMarshaller()), d.getResponseMarshaller()).build(),
            sync.getServerCallHandler());
      } else {
        b.addMethod(m);
      }
    }
    return b.build();
  }

  @Override
  public StreamObserver<SyncUp> sync(StreamObserver<SyncDown> responses) {
    NodeId caller = TransportServer.caller();
    ServerCallStreamObserver<SyncDown> out = (ServerCallStreamObserver<SyncDown>) responses;
    out.disableAutoRequest();
    out.request(1);
    return new StreamObserver<>() {
      private Receiver.Session session;
      private boolean refused;

      @Override
      public void onNext(SyncUp m) {
        if (session != null) {
          session.onMessage(m);
          return;
        }
        if (refused) {
          return;
        }
        if (!m.hasOpen()) {
          refused = true;
          refuse(Status.INVALID_ARGUMENT, "a file sync stream must start with an open message");
          return;
        }
        session = accept(m.getOpen(), caller, out);
        refused = session == null;
      }

      @Override
      public void onError(Throwable t) {
        if (session != null) {
          session.onPeerGone();
        }
      }

      @Override
      public void onCompleted() {
        if (session != null) {
          session.onPeerGone();
        }
        try {
          out.onCompleted();
        } catch (IllegalStateException alreadyClosed) {
          // The session ended the call first.
        }
      }

      private void refuse(Status status, String why) {
        events.emit(new Event(Instant.now(), Level.WARNING, "sync-refused", self, "", why));
        out.onError(status.withDescription(why).asRuntimeException());
      }
    };
  }

  private Receiver.Session accept(SyncOpen open, NodeId caller, ServerCallStreamObserver<SyncDown> out) {
    String group = open.getGroup();
    Receiver r = receivers.get(key(group, open.getResource()));
    Optional<SyncPeers.Primary> primary = peers.primary(group);
    String why = null;
    Status status = Status.FAILED_PRECONDITION;
    if (r == null) {
      why = "node " + self + " has no files resource #" + open.getResource() + " in group " + group
          + "; check that tandem.yaml defines the same resources on every node";
    } else if (primary.isEmpty()) {
      why = "group " + group + " has no primary in " + self + "'s view";
      status = Status.UNAVAILABLE;
    } else if (primary.get().name().equals(self)) {
      why = self + " is the primary of " + group + " itself, so it does not take files from " + caller.shortForm();
    } else if (!primary.get().id().equals(caller)) {
      why = "node " + caller.shortForm() + " is not the primary of " + group + " (" + primary.get().name() + " is)";
    } else if (open.getEpoch() > primary.get().epoch()) {
      why = self + " has not yet seen epoch " + open.getEpoch() + " of " + group + "; retry";
      status = Status.UNAVAILABLE;
    } else if (open.getEpoch() < primary.get().epoch()) {
      why = "epoch " + open.getEpoch() + " of " + group + " is stale (the current one is " + primary.get().epoch()
          + "): a former primary may not send files";
    }
    if (why != null) {
      if (status != Status.UNAVAILABLE) {
        events.emit(new Event(Instant.now(), Level.WARNING, "sync-refused", self, group, why));
      }
      out.onError(status.withDescription(why).asRuntimeException());
      return null;
    }
    return r.open(open, primary.get().name(), out, e -> peers.primary(group)
        .map(p -> p.epoch() == e && p.id().equals(caller)).orElse(false));
  }
}
