package tandem.db;

import io.grpc.Channel;
import io.grpc.StatusRuntimeException;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import tandem.transport.proto.DatabaseFactsGrpc;
import tandem.transport.proto.UpstreamReply;
import tandem.transport.proto.UpstreamRequest;

/** Asks the primary's agent for its database's connection facts, and copies of it, over the mutual-TLS transport. */
public final class UpstreamClient implements UpstreamSource, CloneSource {
  private final Function<String, Channel> channels;

  /** @param channels a channel to a member's transport server by node name, pinned to that node's ID */
  public UpstreamClient(Function<String, Channel> channels) {
    this.channels = channels;
  }

  @Override
  public Upstream fetch(String group, int resource, DbPeers.Primary primary) throws DbException {
    try {
      UpstreamReply r = DatabaseFactsGrpc.newBlockingStub(channels.apply(primary.name())).withDeadlineAfter(10, TimeUnit.SECONDS)
          .upstream(UpstreamRequest.newBuilder().setGroup(group).setResource(resource).setEpoch(primary.epoch()).build());
      return new Upstream(r.getNode(), r.getHost(), r.getPort(), r.getReplicationUser(), r.getReplicationPassword(),
          r.getAdminUser(), r.getAdminPassword(), r.getCertificatePem(), r.getEpoch());
    } catch (StatusRuntimeException e) {
      throw new DbException(primary.name() + " did not give the connection facts of " + group + ": "
          + e.getStatus().getCode() + (e.getStatus().getDescription() == null ? "" : " " + e.getStatus().getDescription()));
    } catch (RuntimeException e) {
      throw new DbException("cannot reach " + primary.name() + " for the connection facts of " + group + ": " + e.getMessage(), e);
    }
  }

  /** The primary's copy as a stream read chunk by chunk (gRPC's flow control holds the primary back while it is not read). */
  @Override
  public java.io.InputStream open(String group, int resource, Upstream upstream) throws DbException {
    // Closing the stream early (the replica's side failed) cancels the call, so the primary stops its backup.
    io.grpc.Context.CancellableContext call = io.grpc.Context.current().withCancellation();
    try {
      java.util.Iterator<tandem.transport.proto.CloneChunk> chunks = call.call(() -> DatabaseFactsGrpc
          .newBlockingStub(channels.apply(upstream.node())).withDeadlineAfter(6, TimeUnit.HOURS)
          .copy(UpstreamRequest.newBuilder().setGroup(group).setResource(resource).setEpoch(upstream.epoch()).build()));
      return new java.io.InputStream() {
        private java.io.InputStream current = java.io.InputStream.nullInputStream();

        @Override
        public int read() throws java.io.IOException {
          byte[] one = new byte[1];
          return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws java.io.IOException {
          try {
            int n;
            while ((n = current.read(b, off, len)) < 0) {
              if (!chunks.hasNext()) {
                return -1;
              }
              current = chunks.next().getData().newInput();
            }
            return n;
          } catch (StatusRuntimeException e) {
            call.cancel(e);
            throw new java.io.IOException(upstream.node() + " stopped the copy of " + group + ": " + e.getStatus().getCode()
                + (e.getStatus().getDescription() == null ? "" : " " + e.getStatus().getDescription()), e);
          }
        }

        @Override
        public void close() {
          call.cancel(null);
        }
      };
    } catch (Exception e) {
      call.cancel(e);
      throw new DbException("cannot reach " + upstream.node() + " for a copy of " + group + ": " + e.getMessage(), e);
    }
  }
}
