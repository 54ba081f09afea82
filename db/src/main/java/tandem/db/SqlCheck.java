package tandem.db;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;
import tandem.config.CheckTarget;
import tandem.core.Durations;
import tandem.health.CheckOutcome;
import tandem.health.HealthCheck;
import tandem.health.internal.Timeouts;

/**
 * The {@code sql} health check: runs a query on this node's database of the group, as tandem's own
 * role, in a read-only transaction (a check never changes data), and passes when it answers within
 * the timeout and, if asked, its first column of its first row reads as expected. A fresh
 * connection each run, so a server that stopped accepting connections fails the check too.
 */
public final class SqlCheck implements HealthCheck {
  private final DatabaseEngine engine;
  private final CheckTarget.Sql sql;

  public SqlCheck(DatabaseEngine engine, CheckTarget.Sql sql) {
    this.engine = engine;
    this.sql = sql;
  }

  @Override
  public String describe() {
    return "sql " + sql.database().map(d -> d + ": ").orElse("") + sql.query();
  }

  @Override
  public CheckOutcome run(Duration timeout) throws InterruptedException {
    try {
      return Timeouts.call(() -> query(timeout), timeout);
    } catch (TimeoutException e) {
      return CheckOutcome.fail("no answer from " + engine.describe() + " within " + Durations.format(timeout));
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      return CheckOutcome.fail(engine.describe() + ": " + (cause instanceof SQLException ? cause.getMessage() : cause.toString()));
    }
  }

  private CheckOutcome query(Duration timeout) throws SQLException {
    try (Connection c = engine.connect(sql.database(), timeout)) {
      c.setReadOnly(true);
      c.setAutoCommit(false);
      try (Statement st = c.createStatement()) {
        st.setQueryTimeout((int) Math.max(1, (timeout.toMillis() + 999) / 1000));
        boolean rows = st.execute(sql.query());
        String first = null;
        if (rows) {
          try (ResultSet rs = st.getResultSet()) {
            first = rs.next() ? rs.getString(1) : null;
          }
        }
        c.rollback();
        if (sql.expect().isPresent() && !sql.expect().get().equals(first)) {
          return CheckOutcome.fail("expected " + sql.expect().get() + " but got " + (first == null ? "no row" : first));
        }
        return CheckOutcome.pass(first == null ? "query ran" : "query answered " + first);
      }
    }
  }
}
