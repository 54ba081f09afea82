package tandem.it.harness;

import org.junit.jupiter.api.extension.AfterTestExecutionCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * One cluster of two data nodes and a witness running group "web", shared by every test that
 * needs exactly that (starting one costs most of a minute on a busy 2-core box). Before each test
 * it is healed back to normal ({@link TestCluster#heal}), also after a failed test; when healing
 * fails it is thrown away and built again. It is closed, with every process it started, when the test run ends (JUnit
 * closes what the root store holds) or, failing that, when the test JVM exits.
 *
 * <p>Tests get it as a {@link TestCluster} parameter and ask it for the current
 * {@link TestCluster#roles roles}: after an earlier test the primary may be n2.
 */
public final class SharedWebCluster implements BeforeEachCallback, AfterTestExecutionCallback, ParameterResolver {
  private static final ExtensionContext.Namespace NS = ExtensionContext.Namespace.create(SharedWebCluster.class);

  @Override
  public void beforeEach(ExtensionContext ctx) throws Exception {
    Holder h = holder(ctx);
    h.prepare();
    h.cluster.mark("test " + ctx.getRequiredTestClass().getSimpleName() + "." + ctx.getDisplayName());
    h.cluster.service().startTest();
  }

  @Override
  public void afterTestExecution(ExtensionContext ctx) {
    Holder h = holder(ctx);
    if (h.cluster == null) {
      return;
    }
    System.out.println("---- after " + ctx.getRequiredTestClass().getSimpleName() + "." + ctx.getDisplayName()
        + (ctx.getExecutionException().isPresent() ? " (FAILED)" : "") + " at " + java.time.Instant.now());
    System.out.println(h.cluster.describe());
    // A failed test may leave the cluster in any state: the next test's heal sets it right, or
    // throws it away and builds a new one.
  }

  @Override
  public boolean supportsParameter(ParameterContext p, ExtensionContext ctx) {
    return p.getParameter().getType() == TestCluster.class;
  }

  @Override
  public Object resolveParameter(ParameterContext p, ExtensionContext ctx) {
    return holder(ctx).cluster;
  }

  private static Holder holder(ExtensionContext ctx) {
    return ctx.getRoot().getStore(NS).getOrComputeIfAbsent(Holder.class, k -> new Holder(), Holder.class);
  }

  /** The cluster, closed at the end of the run. */
  @SuppressWarnings("deprecation")
  static final class Holder implements ExtensionContext.Store.CloseableResource, AutoCloseable {
    TestCluster cluster;
    private final Thread hook = new Thread(this::close, "close-shared-web-cluster");

    Holder() {
      Runtime.getRuntime().addShutdownHook(hook);
    }

    void prepare() throws Exception {
      if (cluster != null) {
        try {
          cluster.heal("web");
          return;
        } catch (Exception | AssertionError e) {
          System.out.println("the shared cluster could not be healed (" + e + "); building a new one\n" + cluster.describe());
          cluster.close();
          cluster = null;
        }
      }
      cluster = TestCluster.startWeb(TestCluster.runDir(SharedWebCluster.class, "web-" + System.currentTimeMillis()), true);
    }

    @Override
    public synchronized void close() {
      if (cluster != null) {
        cluster.close();
        cluster = null;
      }
    }
  }
}
