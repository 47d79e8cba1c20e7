package org.mta4j.queue.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * H2 is not crash-safe for a queue (it keeps commits in memory for {@code WRITE_DELAY}, and lost
 * acknowledged mail in kill tests even with {@code WRITE_DELAY=0}): the store says so at start for
 * every H2 database, naming the delay when there is one, and an in-memory database loses everything
 * at exit.
 */
class H2DurabilityWarningTest {
  @TempDir Path dir;

  @Test
  void aFileDatabaseWithH2sDefaultWriteDelayIsWarnedAboutWithItsDelay() throws SQLException {
    try (Connection c = DriverManager.getConnection("jdbc:h2:file:" + dir.resolve("default"))) {
      assertThat(JdbcQueueStore.h2DurabilityWarning(c))
          .hasValueSatisfying(
              w ->
                  assertThat(w)
                      .contains("WRITE_DELAY=500: a commit reaches the file up to 500 ms later")
                      .contains("can LOSE mail it acknowledged")
                      .contains("PostgreSQL or the file queue"));
    }
  }

  @Test
  void aFileDatabaseWithWriteDelayZeroIsWarnedAboutToo() throws SQLException {
    try (Connection c =
        DriverManager.getConnection("jdbc:h2:file:" + dir.resolve("zero") + ";WRITE_DELAY=0")) {
      assertThat(JdbcQueueStore.h2DurabilityWarning(c))
          .hasValueSatisfying(
              w -> assertThat(w).doesNotContain("here WRITE_DELAY").contains("can LOSE"));
    }
  }

  @Test
  void anInMemoryDatabaseIsWarnedThatItLosesEverything() throws SQLException {
    try (Connection c = DriverManager.getConnection("jdbc:h2:mem:warning")) {
      assertThat(JdbcQueueStore.h2DurabilityWarning(c))
          .hasValueSatisfying(w -> assertThat(w).contains("in-memory").contains("LOST"));
    }
  }
}
