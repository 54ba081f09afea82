package tandem.transport;

import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import javax.net.ssl.X509ExtendedTrustManager;
import tandem.core.NodeId;

/**
 * The set of node IDs this node trusts in TLS handshakes, replaceable at runtime as the cluster's
 * membership changes. Safe for concurrent use: readers see one whole set, never a half-updated one.
 */
public final class PinnedPeers {
  private final AtomicReference<Set<NodeId>> ids;
  private volatile java.util.function.Consumer<String> onRefusal = m -> { };

  public PinnedPeers(Set<NodeId> initial) {
    this.ids = new AtomicReference<>(Set.copyOf(initial));
  }

  /** Replaces the whole set; handshakes from now on use the new one. */
  public void replace(Set<NodeId> newIds) {
    ids.set(Set.copyOf(newIds));
  }

  public void add(NodeId id) {
    ids.updateAndGet(current -> {
      Set<NodeId> next = new HashSet<>(current);
      next.add(id);
      return Set.copyOf(next);
    });
  }

  /** Hears every refused handshake (the message names the offered ID): the agent makes it an event. */
  public void onRefusal(java.util.function.Consumer<String> listener) {
    this.onRefusal = listener;
  }

  void refused(String message) {
    try {
      onRefusal.accept(message);
    } catch (RuntimeException e) {
      // a listener must not break a TLS handshake
    }
  }

  public boolean contains(NodeId id) {
    return ids.get().contains(id);
  }

  /** An immutable copy of the pinned IDs at this moment. */
  public Set<NodeId> snapshot() {
    return ids.get();
  }

  /**
   * A trust manager that accepts a peer, as client or server, only when the ID of its leaf
   * certificate is pinned here at the time of the handshake. It does no hostname verification:
   * the pin replaces it.
   *
   * @param purpose who trusts, for the refusal message, e.g. "this cluster" or "the join token"
   */
  public X509ExtendedTrustManager trustManager(String purpose) {
    return new PinnedTrustManager(this, purpose);
  }

  /**
   * A trust manager that accepts every certificate: for the transport server's TLS layer, which
   * must let unknown nodes in to call Join; each call is then authorized by the caller's ID.
   */
  public static X509ExtendedTrustManager acceptAny() {
    return AcceptAnyTrustManager.INSTANCE;
  }

  @Override
  public String toString() {
    return "PinnedPeers" + ids.get().stream().map(NodeId::shortForm).sorted().toList();
  }
}
