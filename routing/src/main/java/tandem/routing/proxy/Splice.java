package tandem.routing.proxy;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * One proxied connection: the client's socket joined to the next hop's, bytes copied both ways by
 * two threads with blocking reads. An end of stream is passed on as a half-close, so
 * protocols that close one direction first still work; the splice ends when both directions have
 * ended, or at once when either side fails or {@link #close} is called (a change of primary).
 */
final class Splice implements AutoCloseable {
  /**
   * Platform threads with small stacks, not virtual ones, for the copies: on loopback a blocking read on a platform
   * thread answered small request/response round trips 30-40% faster than a virtual thread, which parks and is woken
   * through the JDK's poller (bench/RESULTS.md, proxy). A database's few hundred connections are few hundred threads.
   */
  private static final java.util.concurrent.ThreadFactory COPIER =
      Thread.ofPlatform().name("proxy-copy").daemon().stackSize(256 * 1024).factory();
  /** Big enough that a bulk transfer costs few system calls; a connection holds two. */
  static final int BUFFER = 64 * 1024;

  private final Socket client;
  private final Socket server;
  private final Route route;
  private final Consumer<Splice> onEnd;
  private final AtomicInteger open = new AtomicInteger(2);
  private final java.util.concurrent.atomic.AtomicBoolean closed = new java.util.concurrent.atomic.AtomicBoolean();

  /**
   * Where a connection goes and under which facts it was allowed; the proxy closes it when they stop holding.
   *
   * @param kind W for the primary, R for a replica
   * @param node the node whose backend serves it
   * @param epoch the group's epoch when it was routed
   */
  record Route(char kind, String node, long epoch) {}

  Splice(Socket client, Socket server, Route route, Consumer<Splice> onEnd) {
    this.client = client;
    this.server = server;
    this.route = route;
    this.onEnd = onEnd;
  }

  Route route() {
    return route;
  }

  void start() {
    COPIER.newThread(() -> pump(client, server)).start();
    COPIER.newThread(() -> pump(server, client)).start();
  }

  private void pump(Socket from, Socket to) {
    byte[] buf = new byte[BUFFER];
    try {
      InputStream in = from.getInputStream();
      OutputStream out = to.getOutputStream();
      int n;
      while ((n = in.read(buf)) >= 0) {
        out.write(buf, 0, n);
      }
      halfClose(to);
      if (open.decrementAndGet() == 0) {
        close();
      }
    } catch (IOException | RuntimeException e) {
      close();
    }
  }

  private void halfClose(Socket s) {
    try {
      s.shutdownOutput();
    } catch (IOException | UnsupportedOperationException e) {
      close();
    }
  }

  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    quietly(client);
    quietly(server);
    onEnd.accept(this);
  }

  static void quietly(java.io.Closeable s) {
    try {
      s.close();
    } catch (IOException e) {
      // Closing is all that is left to do with it.
    }
  }
}
