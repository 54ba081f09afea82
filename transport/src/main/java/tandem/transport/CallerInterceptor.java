package tandem.transport;

import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.Optional;
import java.util.Set;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;
import tandem.core.NodeId;
import tandem.transport.proto.TandemGrpc;

/**
 * Names every call's caller by the node ID of its TLS client certificate and authorizes it. Join
 * and Hello are open to any caller (the handler decides: token secret, membership); every other
 * method, present or future, needs a pinned caller, so a new RPC is closed until opened here.
 */
final class CallerInterceptor implements ServerInterceptor {
  static final Context.Key<NodeId> CALLER = Context.key("tandem-caller");
  private static final Set<String> OPEN_METHODS = Set.of(
      TandemGrpc.getJoinMethod().getFullMethodName(), TandemGrpc.getHelloMethod().getFullMethodName());

  private final PinnedPeers pinned;

  CallerInterceptor(PinnedPeers pinned) {
    this.pinned = pinned;
  }

  @Override
  public <Q, A> ServerCall.Listener<Q> interceptCall(
      ServerCall<Q, A> call, Metadata headers, ServerCallHandler<Q, A> next) {
    Optional<NodeId> caller = callerOf(call.getAttributes().get(Grpc.TRANSPORT_ATTR_SSL_SESSION));
    if (caller.isEmpty()) {
      return refuse(call, Status.UNAUTHENTICATED.withDescription(
          "no client certificate: tandem peers must present their node certificate over mutual TLS"));
    }
    String method = call.getMethodDescriptor().getFullMethodName();
    if (!OPEN_METHODS.contains(method) && !pinned.contains(caller.get())) {
      return refuse(call, Status.PERMISSION_DENIED.withDescription("node " + caller.get().shortForm()
          + " is not a member of this cluster, so it may not call " + method + "; " + PinnedTrustManager.FIX));
    }
    return Contexts.interceptCall(Context.current().withValue(CALLER, caller.get()), call, headers, next);
  }

  static Optional<NodeId> callerOf(SSLSession session) {
    if (session == null) {
      return Optional.empty();
    }
    try {
      Certificate[] chain = session.getPeerCertificates();
      return chain.length > 0 && chain[0] instanceof X509Certificate leaf
          ? Optional.of(NodeIdentity.idOf(leaf))
          : Optional.empty();
    } catch (SSLPeerUnverifiedException e) {
      return Optional.empty();
    }
  }

  private static <Q, A> ServerCall.Listener<Q> refuse(ServerCall<Q, A> call, Status status) {
    call.close(status, new Metadata());
    return new ServerCall.Listener<>() {};
  }
}
