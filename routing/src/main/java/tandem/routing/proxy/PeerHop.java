package tandem.routing.proxy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.cert.X509Certificate;
import java.util.function.Function;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;

/**
 * The hop from a node that is not the primary to the primary's proxy (or to a replica's, for
 * reads): the cluster's mutual TLS, the peer pinned by its node ID, then one line that says what
 * the connection is for, {@code TANDEM-PROXY 1 W web 7}, answered by {@code OK} or
 * {@code NO <why>}. After the answer the TLS stream carries the client's bytes unchanged.
 *
 * <p>The answer is what makes the rule "never forwarded to a node that is not the primary in the
 * current epoch" hold when the sending node's view is late: the receiving node checks its own
 * gate (see {@link GroupProxy}) under the epoch the sender named, and refuses otherwise.
 */
final class PeerHop {
  static final String MAGIC = "TANDEM-PROXY 1";
  private static final int MAX_LINE = 512;

  private final SSLContext tls;
  private final Function<X509Certificate, String> nodeIdOf;

  /**
   * @param tls this node's key and the cluster's pinned peers, for both ends
   * @param nodeIdOf the node ID a certificate stands for (its SHA-256)
   */
  PeerHop(SSLContext tls, Function<X509Certificate, String> nodeIdOf) {
    this.tls = tls;
    this.nodeIdOf = nodeIdOf;
  }

  /** A server socket for other nodes' proxies; each accepted peer must present a pinned certificate. */
  ServerSocket listen(InetSocketAddress at) throws IOException {
    SSLServerSocket s = (SSLServerSocket) tls.getServerSocketFactory().createServerSocket();
    s.setNeedClientAuth(true);
    s.setReuseAddress(true);
    s.bind(at, 1024);
    return s;
  }

  /**
   * Connects to {@code node}'s proxy and asks it to take a connection; returns the socket once it said OK.
   *
   * @throws IOException when the node cannot be reached, is not who it should be, or refuses (the message says why)
   */
  Socket open(ProxyView.Node node, int port, String request, int timeoutMillis) throws IOException {
    SSLSocket s = (SSLSocket) tls.getSocketFactory().createSocket();
    try {
      s.setTcpNoDelay(true);
      s.connect(new InetSocketAddress(node.host(), port), timeoutMillis);
      s.setSoTimeout(timeoutMillis);
      s.startHandshake();
      String id = nodeIdOf.apply((X509Certificate) s.getSession().getPeerCertificates()[0]);
      if (!id.equals(node.nodeId())) {
        throw new IOException(node.host() + ":" + port + " is node " + id + ", not " + node.name() + " (" + node.nodeId() + ")");
      }
      s.getOutputStream().write((MAGIC + " " + request + "\n").getBytes(StandardCharsets.US_ASCII));
      s.getOutputStream().flush();
      String answer = readLine(s.getInputStream());
      if (!answer.equals("OK")) {
        throw new IOException(node.name() + " refused: " + answer);
      }
      s.setSoTimeout(0);
      return s;
    } catch (IOException | RuntimeException e) {
      Splice.quietly(s);
      throw e instanceof IOException io ? io : new IOException(e.getMessage(), e);
    }
  }

  /** The request line an accepted peer sent (after the magic), with the handshake done. */
  static String request(Socket peer, int timeoutMillis) throws IOException {
    peer.setSoTimeout(timeoutMillis);
    ((SSLSocket) peer).startHandshake();
    String line = readLine(peer.getInputStream());
    if (!line.startsWith(MAGIC + " ")) {
      throw new IOException("not a tandem proxy hop: '" + line + "'");
    }
    peer.setSoTimeout(0);
    return line.substring(MAGIC.length() + 1);
  }

  static void answer(Socket peer, String answer) throws IOException {
    peer.getOutputStream().write((answer + "\n").getBytes(StandardCharsets.US_ASCII));
    peer.getOutputStream().flush();
  }

  /** One line, read a byte at a time so that nothing after it is consumed. */
  private static String readLine(InputStream in) throws IOException {
    ByteArrayOutputStream line = new ByteArrayOutputStream();
    for (int b = in.read(); b != '\n'; b = in.read()) {
      if (b < 0) {
        throw new IOException("the peer closed the connection" + (line.size() > 0 ? " after '" + line + "'" : ""));
      }
      if (line.size() >= MAX_LINE) {
        throw new IOException("the peer's line is longer than " + MAX_LINE + " bytes");
      }
      line.write(b);
    }
    return line.toString(StandardCharsets.US_ASCII);
  }
}
