package tandem.it.harness;

import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A test's own cluster (not the shared one): after the test, whatever happened, its state is
 * printed for the report and every process it started is stopped. Register it with
 * {@code @RegisterExtension final OwnedCluster owned = new OwnedCluster();} and pass each cluster
 * the test builds through {@link #own}.
 */
public final class OwnedCluster implements AfterEachCallback {
  private TestCluster cluster;

  /** Takes {@code c} into care for the rest of the test; returns it. */
  public TestCluster own(TestCluster c) {
    cluster = c;
    return c;
  }

  @Override
  public void afterEach(ExtensionContext ctx) {
    if (cluster != null) {
      System.out.println(cluster.describe());
      cluster.close();
      cluster = null;
    }
  }
}
