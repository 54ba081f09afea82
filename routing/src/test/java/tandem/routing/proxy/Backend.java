package tandem.routing.proxy;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicInteger;

/** A real TCP server standing for a node's database: says which node it is, then echoes. */
final class Backend implements AutoCloseable {
  private final String name;
  private final ServerSocket server;
  private final AtomicInteger accepted = new AtomicInteger();

  Backend(String name, String host) throws IOException {
    this.name = name;
    this.server = new ServerSocket();
    server.bind(new InetSocketAddress(host, 0));
    Thread.ofVirtual().start(this::serve);
  }

  int port() {
    return server.getLocalPort();
  }

  /** Connections accepted so far. */
  int accepted() {
    return accepted.get();
  }

  private void serve() {
    while (!server.isClosed()) {
      try {
        Socket s = server.accept();
        accepted.incrementAndGet();
        Thread.ofVirtual().start(() -> echo(s));
      } catch (IOException e) {
        return;
      }
    }
  }

  private void echo(Socket s) {
    try (s; InputStream in = s.getInputStream(); OutputStream out = s.getOutputStream()) {
      out.write((name + "\n").getBytes(StandardCharsets.US_ASCII));
      in.transferTo(out);
    } catch (IOException e) {
      // The client went away.
    }
  }

  @Override
  public void close() throws IOException {
    server.close();
  }
}
