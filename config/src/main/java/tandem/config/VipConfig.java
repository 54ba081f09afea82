package tandem.config;

import java.util.Objects;
import java.util.regex.Pattern;

/**
 * A floating IP address: added to an interface of the group's primary, removed on demotion and when
 * the lease lapses ({@code - vip: { address: 192.0.2.100/24, interface: eth0 }}).
 *
 * @param address the address and the prefix length of the interface's subnet
 * @param iface the network interface that carries it, e.g. eth0
 */
public record VipConfig(Cidr address, String iface) implements ResourceConfig {
  /** Linux interface names: at most 15 bytes, no '/', ':' or white space. */
  static final Pattern IFACE = Pattern.compile("[A-Za-z0-9_.@-]{1,15}");

  public VipConfig {
    Objects.requireNonNull(address, "address");
    if (iface == null || !IFACE.matcher(iface).matches() || iface.equals(".") || iface.equals("..")) {
      throw new IllegalArgumentException("'" + iface + "' is not a network interface name");
    }
  }

  @Override
  public String kind() {
    return "vip";
  }
}
