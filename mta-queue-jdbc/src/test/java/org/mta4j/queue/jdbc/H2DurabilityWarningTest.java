package org.mta4j.queue.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * H2 keeps a commit in memory for {@code WRITE_DELAY} ms (500 by default) before writing it to its
 * file, so a killed JVM loses mail the server acknowledged: the store says so at start, and says
 * nothing once the delay is 0. An in-memory database loses everything at exit.
 */
class H2DurabilityWarningTest {
  @TempDir Path dir;

  @Test
  void aFileDatabaseWithH2sDefaultWriteDelayIsWarnedAbout() throws SQLException {
    try (Connection c = DriverManager.getConnection("jdbc:h2:file:" + dir.resolve("default"))) {
      assertThat(JdbcQueueStore.h2DurabilityWarning(c))
          .hasValueSatisfying(
              w ->
                  assertThat(w)
                      .contains("WRITE_DELAY=500")
                      .contains("LOSES the mail it acknowledged")
                      .contains(";WRITE_DELAY=0"));
    }
  }

  @Test
  void aFileDatabaseWithWriteDelayZeroIsNot() throws SQLException {
    try (Connection c =
        DriverManager.getConnection("jdbc:h2:file:" + dir.resolve("durable") + ";WRITE_DELAY=0")) {
      assertThat(JdbcQueueStore.h2DurabilityWarning(c)).isEmpty();
    }
  }

  @Test
  void settingTheDelayToZeroInSqlIsEnoughToo() throws SQLException {
    try (Connection c = DriverManager.getConnection("jdbc:h2:file:" + dir.resolve("set"));
        Statement s = c.createStatement()) {
      s.execute("SET WRITE_DELAY 0");
      assertThat(JdbcQueueStore.h2DurabilityWarning(c)).isEmpty();
    }
  }

  @Test
  void anInMemoryDatabaseIsWarnedAboutWhateverItsDelay() throws SQLException {
    try (Connection c = DriverManager.getConnection("jdbc:h2:mem:warning;WRITE_DELAY=0")) {
      assertThat(JdbcQueueStore.h2DurabilityWarning(c))
          .hasValueSatisfying(w -> assertThat(w).contains("in-memory").contains("LOST"));
    }
  }
}
