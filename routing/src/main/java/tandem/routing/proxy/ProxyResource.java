package tandem.routing.proxy;

import java.util.List;
import tandem.resource.FenceStep;
import tandem.resource.Resource;
import tandem.resource.RoleChange;

/**
 * A group's proxy in its resource chain. The listeners run on every node all the time; what
 * starts and stops with the role is this node's permission to join connections for the primary
 * to its own backend. Put the proxy after the resource it fronts (the database, the service), so
 * clients are let in once it runs and cut off before it stops. Nothing to fence outside the JVM:
 * a dead or hung agent forwards nothing.
 */
final class ProxyResource implements Resource {
  private final GroupProxy proxy;

  ProxyResource(GroupProxy proxy) {
    this.proxy = proxy;
  }

  @Override
  public String describe() {
    return "proxy";
  }

  @Override
  public void start(RoleChange change) {
    proxy.serve(change.epoch());
  }

  @Override
  public void stop(RoleChange change) {
    proxy.stopServing();
  }

  @Override
  public List<FenceStep> fenceSteps(RoleChange change) {
    return List.of();
  }
}
