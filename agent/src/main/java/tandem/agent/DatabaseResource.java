package tandem.agent;

import java.util.List;
import tandem.db.DbException;
import tandem.db.ReplicatedDatabase;
import tandem.resource.FenceStep;
import tandem.resource.Resource;
import tandem.resource.ResourceException;
import tandem.resource.RoleChange;

/**
 * The {@code postgres} resource: on promotion the node's database becomes the writable primary
 * (bootstrapped, promoted, or started again); on demotion its server stops. While the node is not
 * primary, {@link ReplicatedDatabase} keeps it streaming from the group's primary. The watchdog's
 * steps stop the server when the agent hangs or died.
 */
final class DatabaseResource implements Resource {
  private static final long FENCE_TIMEOUT_MILLIS = 60_000;
  private final ReplicatedDatabase db;

  DatabaseResource(ReplicatedDatabase db) {
    this.db = db;
  }

  @Override
  public String describe() {
    return db.describe();
  }

  @Override
  public void start(RoleChange change) throws ResourceException {
    try {
      db.becomePrimary(change.epoch());
    } catch (DbException e) {
      throw new ResourceException("cannot make " + db.describe() + " primary: " + e.getMessage());
    }
  }

  @Override
  public void stop(RoleChange change) throws ResourceException {
    try {
      db.stepDown();
    } catch (DbException e) {
      throw new ResourceException("cannot stop " + db.describe() + ": " + e.getMessage());
    }
  }

  @Override
  public List<FenceStep> fenceSteps(RoleChange change) {
    return db.engine().fenceCommands().stream().map(c -> new FenceStep(c, change.environment(), FENCE_TIMEOUT_MILLIS)).toList();
  }
}
