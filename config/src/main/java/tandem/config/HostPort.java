package tandem.config;

import java.util.Locale;
import java.util.regex.Pattern;

/**
 * A network address as written in tandem.yaml: {@code 10.0.0.1:7400}, {@code db-1.lan:7400} or {@code [::1]:7400}.
 *
 * @param host a host name or IP address; an IPv6 address is kept without brackets
 * @param port 1 to 65535
 */
public record HostPort(String host, int port) {
  private static final Pattern NAME_OR_V4 = Pattern.compile("[A-Za-z0-9_]([A-Za-z0-9_.-]*[A-Za-z0-9_])?");
  private static final Pattern V6 = Pattern.compile("[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*(%[A-Za-z0-9_.-]+)?");
  private static final Pattern PORT = Pattern.compile("[0-9]{1,9}");

  public HostPort {
    if (host == null || !(NAME_OR_V4.matcher(host).matches() || V6.matcher(host).matches())) {
      throw new IllegalArgumentException("'" + host + "' is not a host name or IP address");
    }
    if (port < 1 || port > 65535) {
      throw new IllegalArgumentException("port " + port + " is out of range: use a port from 1 to 65535");
    }
  }

  /**
   * Parses {@code host:port}; an IPv6 host goes in brackets ({@code [::1]:7400}).
   *
   * @throws IllegalArgumentException saying what is wrong and showing the expected form
   */
  public static HostPort parse(String text) {
    String t = text == null ? "" : text.trim();
    int colon = t.lastIndexOf(':');
    if (colon < 1) {
      throw notHostPort(text);
    }
    String host = t.substring(0, colon);
    String port = t.substring(colon + 1);
    if (host.startsWith("[") && host.endsWith("]") && host.length() > 2) {
      host = host.substring(1, host.length() - 1);
      if (!V6.matcher(host).matches()) {
        throw notHostPort(text);
      }
    } else if (!NAME_OR_V4.matcher(host).matches()) {
      throw host.contains(":") ? notBracketed(text) : notHostPort(text);
    }
    if (!PORT.matcher(port).matches()) {
      throw notHostPort(text);
    }
    int p = Integer.parseInt(port);
    if (p < 1 || p > 65535) {
      throw new IllegalArgumentException("'" + text + "' has port " + p + ": use a port from 1 to 65535");
    }
    return new HostPort(host, p);
  }

  /** True when both addresses could be bound on the same interface: equal hosts, or either is a wildcard. */
  boolean sharesInterfaceWith(HostPort other) {
    return wildcard() || other.wildcard() || host.toLowerCase(Locale.ROOT).equals(other.host.toLowerCase(Locale.ROOT));
  }

  private boolean wildcard() {
    return host.equals("0.0.0.0") || host.equals("::");
  }

  /** {@code host:port}, with an IPv6 host in brackets: {@code [::1]:7400}. */
  @Override
  public String toString() {
    return host.indexOf(':') >= 0 ? "[" + host + "]:" + port : host + ":" + port;
  }

  private static IllegalArgumentException notHostPort(String text) {
    return new IllegalArgumentException("'" + text + "' is not host:port, e.g. 10.0.0.1:7400");
  }

  private static IllegalArgumentException notBracketed(String text) {
    return new IllegalArgumentException(
        "'" + text + "' is not host:port, e.g. 10.0.0.1:7400; write an IPv6 address in brackets: [::1]:7400");
  }
}
