package tandem.config;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * An IP address with a prefix length as written in tandem.yaml: {@code 192.0.2.100/24} or
 * {@code 2001:db8::10/64}. Only literal addresses are accepted; nothing is looked up.
 *
 * @param address the address as written (for a vip the address itself; for a geo rule any address of the network)
 * @param prefix the prefix length: 0 to 32 for IPv4, 0 to 128 for IPv6
 */
public record Cidr(InetAddress address, int prefix) {
  private static final Pattern V4 = Pattern.compile("(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
      + "(\\.(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])){3}");
  private static final Pattern V6 = Pattern.compile("[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*");

  public Cidr {
    Objects.requireNonNull(address, "address");
    if (prefix < 0 || prefix > bits(address)) {
      throw new IllegalArgumentException("prefix /" + prefix + " is out of range for " + address.getHostAddress());
    }
  }

  /**
   * Parses {@code address/prefix}.
   *
   * @throws IllegalArgumentException saying what is wrong and showing the expected form
   */
  public static Cidr parse(String text) {
    String t = text == null ? "" : text.trim();
    int slash = t.indexOf('/');
    if (slash < 0) {
      throw new IllegalArgumentException("'" + t + "' has no prefix length; write address/prefix, e.g. 192.0.2.100/24");
    }
    InetAddress address = literal(t.substring(0, slash), t);
    String p = t.substring(slash + 1);
    int max = bits(address);
    if (!p.matches("[0-9]{1,3}") || Integer.parseInt(p) > max) {
      throw new IllegalArgumentException("'" + t + "' has prefix length '" + p + "'; use a whole number from 0 to " + max
          + ", e.g. " + (max == 32 ? "192.0.2.100/24" : "2001:db8::10/64"));
    }
    return new Cidr(address, Integer.parseInt(p));
  }

  /** A literal IPv4 or IPv6 address (never a name: nothing is looked up). */
  static InetAddress literal(String host, String whole) {
    if (!V4.matcher(host).matches() && !V6.matcher(host).matches()) {
      throw new IllegalArgumentException("'" + whole + "' does not start with an IP address; write e.g. 192.0.2.100/24"
          + " or 2001:db8::10/64 (host names are not allowed here)");
    }
    try {
      return InetAddress.getByName(host);
    } catch (UnknownHostException e) {
      throw new IllegalArgumentException("'" + whole + "' does not start with an IP address; write e.g. 192.0.2.100/24");
    }
  }

  /** True when {@code other} is of the same family and inside this network. */
  public boolean contains(InetAddress other) {
    byte[] a = address.getAddress();
    byte[] b = other.getAddress();
    if (a.length != b.length) {
      return false;
    }
    for (int bit = 0; bit < prefix; bit++) {
      int mask = 0x80 >>> (bit % 8);
      if ((a[bit / 8] & mask) != (b[bit / 8] & mask)) {
        return false;
      }
    }
    return true;
  }

  /** True for an IPv6 address. */
  public boolean v6() {
    return bits(address) == 128;
  }

  private static int bits(InetAddress a) {
    return a.getAddress().length * 8;
  }

  /** {@code 192.0.2.100/24}, the form {@code ip addr} takes. */
  @Override
  public String toString() {
    return address.getHostAddress() + "/" + prefix;
  }
}
