package tandem.transport;

import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.security.cert.X509Certificate;
import java.util.Objects;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tandem.core.NodeId;
import tandem.transport.proto.HelloReply;
import tandem.transport.proto.HelloRequest;
import tandem.transport.proto.JoinReply;
import tandem.transport.proto.JoinRequest;
import tandem.transport.proto.TandemGrpc;

/**
 * The server side of the Tandem service: hands each call to the {@link JoinHandler} with the
 * caller's node ID, and turns a handler failure into Status.INTERNAL with a one-line message.
 */
final class TandemService extends TandemGrpc.TandemImplBase {
  private static final Logger LOG = LoggerFactory.getLogger(TandemService.class);

  private final JoinHandler handler;
  private final NodeId self;

  TandemService(JoinHandler handler, NodeId self) {
    this.handler = handler;
    this.self = self;
  }

  @Override
  public void join(JoinRequest request, StreamObserver<JoinReply> out) {
    NodeId caller = CallerInterceptor.CALLER.get();
    answer(out, "Join", caller, () -> {
      String problem = identityProblem(request, caller);
      return problem == null ? handler.join(request, caller) : refusal(problem);
    });
  }

  @Override
  public void hello(HelloRequest request, StreamObserver<HelloReply> out) {
    NodeId caller = CallerInterceptor.CALLER.get();
    answer(out, "Hello", caller, () -> handler.hello(request, caller));
  }

  /**
   * Why the joiner's claimed identity differs from its TLS identity, or null if it does not.
   * Checked here so no handler can admit a node under an ID or certificate it does not hold.
   */
  static String identityProblem(JoinRequest request, NodeId caller) {
    String claimed = request.getMe().getNodeId();
    if (!claimed.equals(caller.value())) {
      return "the request names node ID '" + claimed + "' but the caller's TLS certificate is " + caller
          + "; a node joins with the identity in its own node.crt";
    }
    X509Certificate certificate;
    try {
      certificate = NodeIdentity.parseCertificatePem(request.getMe().getCertificatePem());
    } catch (IllegalArgumentException e) {
      return "me.certificate_pem is unusable: " + e.getMessage();
    }
    NodeId pemId = NodeIdentity.idOf(certificate);
    return pemId.equals(caller) ? null
        : "me.certificate_pem is the certificate of node " + pemId.shortForm() + ", not of the caller " + caller.shortForm();
  }

  private static JoinReply refusal(String problem) {
    return JoinReply.newBuilder().setAccepted(false).setMessage("join refused: " + problem).build();
  }

  private <T> void answer(StreamObserver<T> out, String rpc, NodeId caller, Supplier<T> work) {
    T reply;
    try {
      reply = Objects.requireNonNull(work.get(), "the join handler returned no reply");
    } catch (RuntimeException e) {
      LOG.error("{} from node {} failed", rpc, caller.shortForm(), e);
      out.onError(Status.INTERNAL.withDescription(rpc + " failed on node " + self.shortForm() + ": " + e.getClass().getSimpleName()
          + ": " + e.getMessage() + " (the stack trace is in that node's log)").asRuntimeException());
      return;
    }
    out.onNext(reply);
    out.onCompleted();
  }
}
