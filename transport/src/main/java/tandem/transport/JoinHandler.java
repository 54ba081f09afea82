package tandem.transport;

import tandem.core.NodeId;
import tandem.transport.proto.HelloReply;
import tandem.transport.proto.HelloRequest;
import tandem.transport.proto.JoinReply;
import tandem.transport.proto.JoinRequest;

/**
 * The receiver of the agent-to-agent calls that the transport server answers, implemented by the
 * cluster layer.
 *
 * <p>Both methods are called for any caller that completed mutual TLS, pinned or not; {@code
 * caller} is the node ID of the caller's TLS certificate and is the only trustworthy name of the
 * caller (a field of the request is just a claim). Methods are called concurrently from gRPC
 * threads and may block (e.g. on a Raft round). A refusal is a normal reply ({@code accepted} or
 * {@code member} false, with a message saying why and what to do); a thrown RuntimeException
 * reaches the caller as Status.INTERNAL with the exception's message only, and is logged here with
 * its stack trace.
 */
public interface JoinHandler {

  /**
   * Decides whether {@code caller} may join, checking {@code request.token_secret}. Before this is
   * called the transport has checked that {@code request.me.node_id} and {@code
   * request.me.certificate_pem} belong to {@code caller}; a request that fails that check is
   * refused without reaching the handler.
   */
  JoinReply join(JoinRequest request, NodeId caller);

  /** Answers whether {@code caller} is a member; for an unknown caller, member=false with a clear message. */
  HelloReply hello(HelloRequest request, NodeId caller);
}
