package tandem.routing.vip;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tandem.config.Cidr;
import tandem.core.Shell;
import tandem.resource.FenceStep;
import tandem.resource.Resource;
import tandem.resource.ResourceException;
import tandem.resource.RoleChange;

/**
 * A floating IP address on the group's primary: added with {@code ip addr replace} on promotion,
 * announced with gratuitous ARP so that neighbours send to this node's MAC at once, and removed
 * with {@code ip addr del} on demotion. The removal is also the resource's fence step, so the
 * external watchdog takes the address away when the agent hangs or dies; that, and the lease
 * arithmetic (no other node is promoted before the watchdog's deadline has passed), is what keeps
 * two reachable nodes from ever holding it at once.
 *
 * <p>Gratuitous ARP: {@code arping -U} from iputils-arping, three requests a second apart (as
 * keepalived sends several), started without waiting so the group's next resource starts at once.
 * The kernel's {@code arp_notify} sysctl does not help here: it announces only when a device comes
 * up or changes its hardware address, not when an address is added. IPv6 addresses are added with
 * {@code nodad} (usable at once); no unsolicited neighbour advertisement is sent for them.
 */
public final class VipResource implements Resource {
  private static final Logger LOG = LoggerFactory.getLogger(VipResource.class);
  /** The fence window is about 0.6 s with the defaults; `ip` takes milliseconds. */
  static final Duration TIMEOUT = Duration.ofSeconds(2);
  static final int ANNOUNCEMENTS = 3;

  private final Cidr address;
  private final String iface;

  /** A floating address {@code address} (with its subnet's prefix length) on interface {@code iface}. */
  public VipResource(Cidr address, String iface) {
    this.address = address;
    this.iface = iface;
  }

  @Override
  public String describe() {
    return "vip " + address + " on " + iface;
  }

  @Override
  public void start(RoleChange change) throws ResourceException, InterruptedException {
    String add = "ip addr replace " + address + " dev " + iface + (address.v6() ? " nodad" : "");
    Shell.Result r = Shell.run(add, Map.of(), TIMEOUT);
    if (!r.ok()) {
      throw new ResourceException("could not add " + describe() + " for group " + change.group() + " (" + add + "): "
          + r.summary() + "; check that the interface exists (`ip link`) and that tandem runs as root");
    }
    if (!address.v6()) {
      Thread.ofVirtual().name("arping-" + iface).start(this::announce);
    }
  }

  /** Gratuitous ARP for the address, so the neighbours' caches point at this node. */
  private void announce() {
    String ip = address.address().getHostAddress();
    String cmd = "arping -q -U -c " + ANNOUNCEMENTS + " -I " + iface + " " + ip;
    try {
      Shell.Result r = Shell.run(cmd, Map.of(), Duration.ofSeconds(ANNOUNCEMENTS + 2L));
      // arping -U exits 1 when no reply came, which is the normal case for an unsolicited announcement.
      if (r.exitCode() == 127) {
        LOG.warn("no gratuitous ARP for {}: arping is not installed; neighbours learn the new owner only when their"
            + " ARP entries expire: install iputils-arping", describe());
      } else if (r.exitCode() != 0 && r.exitCode() != 1) {
        // e.g. the address was removed again meanwhile (a demotion right after the promotion)
        LOG.warn("gratuitous ARP for {} failed ({}): {}", describe(), cmd, r.summary());
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public void stop(RoleChange change) throws ResourceException, InterruptedException {
    Shell.Result r = Shell.run(removeCommand(), Map.of(), TIMEOUT);
    if (!r.ok()) {
      throw new ResourceException("could not remove " + describe() + " for group " + change.group() + ": "
          + r.summary());
    }
  }

  @Override
  public List<FenceStep> fenceSteps(RoleChange change) {
    return List.of(new FenceStep(removeCommand(), Map.of(), TIMEOUT.toMillis()));
  }

  /**
   * Removes the address and succeeds only when it is gone: a missing address (never added, removed
   * already) is success, so the command is idempotent; a failure names what is left.
   */
  String removeCommand() {
    String one = address.address().getHostAddress() + (address.v6() ? "/128" : "/32");
    return "ip addr del " + address + " dev " + iface + " 2>/dev/null; if ip -o addr show dev " + iface + " to " + one
        + " 2>/dev/null | grep -q .; then echo '" + address + " is still on " + iface + "' >&2; exit 1; fi";
  }
}
