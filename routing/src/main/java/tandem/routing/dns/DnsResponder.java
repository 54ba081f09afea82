package tandem.routing.dns;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xbill.DNS.Header;
import org.xbill.DNS.Message;
import org.xbill.DNS.OPTRecord;
import org.xbill.DNS.Rcode;
import tandem.config.DnsConfig;

/**
 * The authoritative DNS responder of {@code dns:}: UDP and TCP on one address, answering from
 * {@link DnsAnswers}. UDP answers larger than the client allows (512 bytes, or its EDNS size) are
 * truncated with TC set, so the client asks again over TCP. One platform thread reads UDP (each
 * answer is computed in microseconds from memory); each TCP connection gets a virtual thread.
 */
public final class DnsResponder implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(DnsResponder.class);
  private static final int EDNS_SIZE = 1232;

  private final DnsAnswers answers;
  private final DatagramSocket udp;
  private final ServerSocket tcp;
  private final Set<Socket> connections = ConcurrentHashMap.newKeySet();
  private volatile boolean closed;

  private DnsResponder(DnsAnswers answers, DatagramSocket udp, ServerSocket tcp) {
    this.answers = answers;
    this.udp = udp;
    this.tcp = tcp;
  }

  /**
   * Binds {@code config.listen()} (UDP and TCP) and starts answering.
   *
   * @throws IOException naming the address when it cannot be bound
   */
  public static DnsResponder start(DnsConfig config, DnsDirectory directory) throws IOException {
    return start(config, directory,
        new InetSocketAddress(InetAddress.getByName(config.listen().host()), config.listen().port()));
  }

  /** As {@link #start(DnsConfig, DnsDirectory)} on {@code at}; port 0 takes a free UDP port and the same TCP port. */
  static DnsResponder start(DnsConfig config, DnsDirectory directory, InetSocketAddress at) throws IOException {
    DatagramSocket udp;
    ServerSocket tcp;
    try {
      udp = new DatagramSocket(at);
    } catch (SocketException e) {
      throw new IOException("dns.listen " + config.listen() + ": cannot bind UDP (" + e.getMessage() + "); another DNS"
          + " server may hold the port (e.g. systemd-resolved on 127.0.0.53:53), or a port below 1024 needs root", e);
    }
    try {
      tcp = new ServerSocket();
      tcp.setReuseAddress(true);
      tcp.bind(new InetSocketAddress(at.getAddress(), udp.getLocalPort()), 64);
    } catch (IOException e) {
      udp.close();
      throw new IOException("dns.listen " + config.listen() + ": cannot bind TCP (" + e.getMessage() + ")", e);
    }
    DnsResponder r = new DnsResponder(new DnsAnswers(config, directory), udp, tcp);
    Thread.ofPlatform().daemon().name("dns-udp").start(r::serveUdp);
    Thread.ofPlatform().daemon().name("dns-tcp").start(r::serveTcp);
    LOG.info("DNS responder for zone {} listening on {} (UDP and TCP)", config.zone(), config.listen());
    return r;
  }

  /** The UDP port actually bound (for a listen port of 0). */
  public int port() {
    return udp.getLocalPort();
  }

  private void serveUdp() {
    byte[] buf = new byte[65535];
    while (!closed) {
      DatagramPacket p = new DatagramPacket(buf, buf.length);
      try {
        udp.receive(p);
        byte[] reply = reply(buf, p.getLength(), p.getAddress(), true);
        if (reply != null) {
          udp.send(new DatagramPacket(reply, reply.length, p.getSocketAddress()));
        }
      } catch (IOException e) {
        if (!closed) {
          LOG.warn("DNS over UDP: {}", e.toString());
        }
      } catch (RuntimeException e) {
        LOG.warn("DNS query from {} could not be answered: {}", p.getAddress(), e.toString());
      }
    }
  }

  private void serveTcp() {
    while (!closed) {
      try {
        Socket s = tcp.accept();
        connections.add(s);
        Thread.ofVirtual().name("dns-tcp-conn").start(() -> serveConnection(s));
      } catch (IOException e) {
        if (!closed) {
          LOG.warn("DNS over TCP: {}", e.toString());
        }
      }
    }
  }

  private void serveConnection(Socket s) {
    try (s) {
      s.setSoTimeout(10_000);
      DataInputStream in = new DataInputStream(s.getInputStream());
      DataOutputStream out = new DataOutputStream(s.getOutputStream());
      while (!closed) {
        byte[] query = new byte[in.readUnsignedShort()];
        in.readFully(query);
        byte[] reply = reply(query, query.length, s.getInetAddress(), false);
        if (reply == null) {
          return;
        }
        out.writeShort(reply.length);
        out.write(reply);
        out.flush();
      }
    } catch (EOFException | SocketException done) {
      // the client closed the connection or went quiet
    } catch (IOException | RuntimeException e) {
      LOG.debug("DNS over TCP from {}: {}", s.getInetAddress(), e.toString());
    } finally {
      connections.remove(s);
    }
  }

  /** The wire answer to the wire query, or null when it is not worth one (not even a header). */
  private byte[] reply(byte[] buf, int length, InetAddress client, boolean overUdp) {
    byte[] wire = java.util.Arrays.copyOf(buf, length);
    Message query;
    try {
      query = new Message(wire);
    } catch (IOException e) {
      return formErr(wire);
    }
    if (query.getHeader().getFlag(org.xbill.DNS.Flags.QR)) {
      return null; // a response sent to us: never answer it (no loops)
    }
    Message response = answers.answer(query, client);
    OPTRecord opt = query.getOPT();
    int limit = 512;
    if (opt != null) {
      response.addRecord(new OPTRecord(EDNS_SIZE, 0, 0), org.xbill.DNS.Section.ADDITIONAL);
      limit = Math.max(512, Math.min(opt.getPayloadSize(), EDNS_SIZE));
    }
    return overUdp ? response.toWire(limit) : response.toWire();
  }

  /** FORMERR for a query whose header reads but whose body does not; null when not even the header does. */
  private static byte[] formErr(byte[] wire) {
    if (wire.length < Header.LENGTH) {
      return null;
    }
    try {
      Header h = new Header(java.util.Arrays.copyOf(wire, Header.LENGTH));
      if (h.getFlag(org.xbill.DNS.Flags.QR)) {
        return null;
      }
      Message m = new Message(h.getID());
      m.getHeader().setFlag(org.xbill.DNS.Flags.QR);
      m.getHeader().setRcode(Rcode.FORMERR);
      return m.toWire();
    } catch (IOException e) {
      return null;
    }
  }

  @Override
  public void close() {
    closed = true;
    udp.close();
    try {
      tcp.close();
    } catch (IOException ignored) {
      // closing anyway
    }
    connections.forEach(c -> {
      try {
        c.close();
      } catch (IOException ignored) {
        // closing anyway
      }
    });
  }
}
