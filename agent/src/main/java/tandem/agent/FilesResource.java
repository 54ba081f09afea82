package tandem.agent;

import java.io.IOException;
import java.util.List;
import tandem.filesync.ReplicatedDir;
import tandem.resource.FenceStep;
import tandem.resource.Resource;
import tandem.resource.ResourceException;
import tandem.resource.RoleChange;

/**
 * The {@code files} resource: on promotion the directory stops taking files from the old primary
 * and starts sending to the replicas; on demotion it stops sending. Nothing to fence outside the
 * JVM: a hung former primary's streams carry a stale epoch, which every replica refuses.
 */
final class FilesResource implements Resource {
  private final ReplicatedDir dir;

  FilesResource(ReplicatedDir dir) {
    this.dir = dir;
  }

  @Override
  public String describe() {
    return "files " + dir.root();
  }

  @Override
  public void start(RoleChange change) throws ResourceException {
    try {
      dir.becomePrimary(change.epoch());
    } catch (IOException e) {
      throw new ResourceException("cannot start sending " + dir.root() + ": " + e.getMessage());
    }
  }

  @Override
  public void stop(RoleChange change) {
    dir.becomeReplica();
  }

  @Override
  public List<FenceStep> fenceSteps(RoleChange change) {
    return List.of();
  }
}
