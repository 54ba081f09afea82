package tandem.db.postgres;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import tandem.config.CheckTarget;
import tandem.db.SqlCheck;
import tandem.health.CheckOutcome;

/** The {@code sql} health check against a real PostgreSQL server. */
class SqlCheckTest {
  static PgNodes nodes;
  static PostgresEngine pg;

  @BeforeAll
  static void start() throws Exception {
    nodes = new PgNodes("sqlcheck");
    pg = nodes.node("n1");
    pg.bootstrap();
    pg.startPrimary();
    try (Connection c = pg.connect(); Statement st = c.createStatement()) {
      st.execute("CREATE DATABASE shop");
    }
    try (Connection c = pg.connect(Optional.of("shop"), Duration.ofSeconds(2)); Statement st = c.createStatement()) {
      st.execute("CREATE TABLE orders (id int)");
      st.execute("INSERT INTO orders VALUES (1), (2)");
    }
  }

  @AfterAll
  static void stop() {
    nodes.close();
  }

  static CheckOutcome run(String query, String database, String expect) throws InterruptedException {
    return new SqlCheck(pg, new CheckTarget.Sql(query, Optional.ofNullable(database), Optional.ofNullable(expect)))
        .run(Duration.ofSeconds(2));
  }

  @Test
  void aQueryThatAnswers_passes_andAnExpectationIsCompared() throws InterruptedException {
    assertThat(run("SELECT 1", null, null)).isEqualTo(CheckOutcome.pass("query answered 1"));
    assertThat(run("SELECT count(*) FROM orders", "shop", "2").passed()).isTrue();

    CheckOutcome wrong = run("SELECT count(*) FROM orders", "shop", "3");
    assertThat(wrong.passed()).isFalse();
    assertThat(wrong.detail()).isEqualTo("expected 3 but got 2");
  }

  @Test
  void aCheckCannotChangeData() throws Exception {
    CheckOutcome write = run("DELETE FROM orders", "shop", null);

    assertThat(write.passed()).isFalse();
    assertThat(write.detail()).contains("read-only transaction");
    assertThat(run("SELECT count(*) FROM orders", "shop", "2").passed()).isTrue();
  }

  @Test
  void aSlowQuery_failsAtTheTimeout_sayingSo() throws InterruptedException {
    long t0 = System.nanoTime();
    CheckOutcome slow = new SqlCheck(pg, new CheckTarget.Sql("SELECT pg_sleep(30)", Optional.empty(), Optional.empty()))
        .run(Duration.ofMillis(700));

    assertThat(slow.passed()).isFalse();
    assertThat(slow.detail()).contains("within 700ms");
    assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(10));
  }

  @Test
  void aMissingDatabaseOrABadQuery_failsWithTheServersMessage() throws InterruptedException {
    assertThat(run("SELECT 1", "nosuchdb", null).detail()).contains("\"nosuchdb\" does not exist");
    assertThat(run("SELECT * FROM nosuchtable", "shop", null).detail()).contains("nosuchtable");
  }
}
