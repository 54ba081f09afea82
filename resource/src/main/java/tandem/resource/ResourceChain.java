package tandem.resource;

import java.util.ArrayList;
import java.util.List;

/**
 * A group's resources in order: started first to last, stopped last to first. A failed start
 * stops what was already started, so a half-started group never stays up.
 */
public final class ResourceChain {
  private final List<Resource> resources;

  public ResourceChain(List<Resource> resources) {
    this.resources = List.copyOf(resources);
  }

  /**
   * Starts every resource in order; on a failure, stops the failed one (a start can fail half way:
   * stop is idempotent) and those started before it, in reverse, then rethrows.
   */
  public void start(RoleChange change) throws ResourceException, InterruptedException {
    List<Resource> touched = new ArrayList<>();
    for (Resource r : resources) {
      touched.add(r);
      try {
        r.start(change);
      } catch (ResourceException e) {
        ResourceException stopFailure = stopAll(touched.reversed(), change);
        throw stopFailure == null ? e : new ResourceException(e.getMessage() + "; stopping again also failed: "
            + stopFailure.getMessage());
      }
    }
  }

  /** Stops every resource in reverse order, going on past failures; throws the first failure at the end. */
  public void stop(RoleChange change) throws ResourceException, InterruptedException {
    ResourceException first = stopAll(resources.reversed(), change);
    if (first != null) {
      throw first;
    }
  }

  /** The watchdog's steps that stop this chain, in reverse order. */
  public List<FenceStep> fenceSteps(RoleChange change) {
    List<FenceStep> steps = new ArrayList<>();
    for (Resource r : resources.reversed()) {
      steps.addAll(r.fenceSteps(change));
    }
    return steps;
  }

  private static ResourceException stopAll(List<Resource> rs, RoleChange change) throws InterruptedException {
    ResourceException first = null;
    for (Resource r : rs) {
      try {
        r.stop(change);
      } catch (ResourceException e) {
        first = first == null ? e : first;
      }
    }
    return first;
  }

  public boolean isEmpty() {
    return resources.isEmpty();
  }
}
