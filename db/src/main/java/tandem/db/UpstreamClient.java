package tandem.db;

import io.grpc.Channel;
import io.grpc.StatusRuntimeException;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import tandem.transport.proto.DatabaseFactsGrpc;
import tandem.transport.proto.UpstreamReply;
import tandem.transport.proto.UpstreamRequest;

/** Asks the primary's agent for its database's connection facts over the mutual-TLS transport. */
public final class UpstreamClient implements UpstreamSource {
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
}
