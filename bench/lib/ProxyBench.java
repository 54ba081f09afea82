import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * The backend and the client of bench/proxy.sh, in one file run with `java ProxyBench.java`.
 *
 * <pre>
 * server HOST:PORT                      a backend: per connection, the first byte says what to do:
 *                                       'S' sink: read to the end, answer the byte count (8 bytes)
 *                                       'E' echo: send back every byte
 * bulk HOST:PORT MIB CONNS              MIB MiB spread over CONNS connections at once; prints MB/s
 * rtt HOST:PORT COUNT SIZE              COUNT request/response round trips of SIZE bytes on one
 *                                       connection (after COUNT/4 for warm-up); prints p50 p99 in µs
 * </pre>
 */
public class ProxyBench {
  public static void main(String[] a) throws Exception {
    switch (a[0]) {
      case "server" -> server(addr(a[1]));
      case "bulk" -> bulk(addr(a[1]), Long.parseLong(a[2]), Integer.parseInt(a[3]));
      case "rtt" -> rtt(addr(a[1]), Integer.parseInt(a[2]), Integer.parseInt(a[3]));
      default -> throw new IllegalArgumentException("unknown mode " + a[0]);
    }
  }

  static InetSocketAddress addr(String s) {
    int c = s.lastIndexOf(':');
    return new InetSocketAddress(s.substring(0, c), Integer.parseInt(s.substring(c + 1)));
  }

  static void server(InetSocketAddress at) throws IOException {
    ServerSocket ss = new ServerSocket();
    ss.setReuseAddress(true);
    ss.bind(at, 1024);
    System.out.println("listening " + at);
    while (true) {
      Socket s = ss.accept();
      Thread.ofPlatform().daemon().start(() -> serve(s));
    }
  }

  static void serve(Socket s) {
    try (s) {
      s.setTcpNoDelay(true);
      InputStream in = s.getInputStream();
      OutputStream out = s.getOutputStream();
      int kind = in.read();
      byte[] buf = new byte[256 * 1024];
      if (kind == 'S') {
        long total = 0;
        for (int n; (n = in.read(buf)) >= 0; ) {
          total += n;
        }
        new DataOutputStream(out).writeLong(total);
      } else if (kind == 'E') {
        for (int n; (n = in.read(buf)) >= 0; ) {
          out.write(buf, 0, n);
        }
      }
    } catch (IOException e) {
      // client gone
    }
  }

  static void bulk(InetSocketAddress at, long mib, int conns) throws Exception {
    long per = (mib << 20) / conns;
    List<Thread> threads = new ArrayList<>();
    long[] got = new long[conns];
    long t0 = System.nanoTime();
    for (int i = 0; i < conns; i++) {
      int k = i;
      threads.add(Thread.ofPlatform().start(() -> {
        try (Socket s = new Socket()) {
          s.connect(at, 5000);
          OutputStream out = s.getOutputStream();
          out.write('S');
          byte[] buf = new byte[256 * 1024];
          Arrays.fill(buf, (byte) 7);
          for (long left = per; left > 0; left -= buf.length) {
            out.write(buf, 0, (int) Math.min(buf.length, left));
          }
          s.shutdownOutput();
          got[k] = new DataInputStream(s.getInputStream()).readLong();
        } catch (IOException e) {
          throw new RuntimeException(e);
        }
      }));
    }
    for (Thread t : threads) {
      t.join();
    }
    double secs = (System.nanoTime() - t0) / 1e9;
    long total = Arrays.stream(got).sum();
    if (total != per * conns) {
      throw new IllegalStateException("backend received " + total + " bytes, sent " + per * conns);
    }
    System.out.printf(Locale.ROOT, "%.1f%n", total / secs / 1e6);
  }

  static void rtt(InetSocketAddress at, int count, int size) throws IOException {
    try (Socket s = new Socket()) {
      s.setTcpNoDelay(true);
      s.connect(at, 5000);
      OutputStream out = s.getOutputStream();
      DataInputStream in = new DataInputStream(s.getInputStream());
      out.write('E');
      byte[] msg = new byte[size];
      byte[] back = new byte[size];
      long[] us = new long[count];
      for (int i = -count / 4; i < count; i++) {
        long t0 = System.nanoTime();
        out.write(msg);
        in.readFully(back);
        if (i >= 0) {
          us[i] = System.nanoTime() - t0;
        }
      }
      Arrays.sort(us);
      System.out.printf(Locale.ROOT, "%.1f %.1f%n", us[count / 2] / 1e3, us[(int) (count * 0.99)] / 1e3);
    }
  }
}
