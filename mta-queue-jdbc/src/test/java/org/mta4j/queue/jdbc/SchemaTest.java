package org.mta4j.queue.jdbc;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.zaxxer.hikari.HikariDataSource;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.mta4j.queue.NewMessage;
import org.mta4j.queue.QueueStoreException;
import org.mta4j.smtp.MailParameters;
import org.mta4j.smtp.Recipient;
import org.mta4j.testing.Peers;

/**
 * The schema: created at start, recorded in {@code schema_version}, not run twice; checked, not
 * created, with {@code createSchema(false)}; and the README's way of running the scripts by hand
 * (placeholders filled in with sed, then psql) gives a schema the store accepts.
 */
class SchemaTest {
  private static final AtomicInteger H2_DATABASES = new AtomicInteger();
  private HikariDataSource pool;

  @AfterEach
  void closePool() {
    if (pool != null) {
      pool.close();
    }
  }

  @Test
  void buildCreatesTheTablesOnceAndRecordsTheVersion() throws Exception {
    pool = Pools.pool(h2(), 2);
    JdbcQueueStore.builder().dataSource(pool).tablePrefix("q_").build();
    JdbcQueueStore store = JdbcQueueStore.builder().dataSource(pool).tablePrefix("q_").build();

    assertThat(store.databaseName()).isEqualTo("H2");
    assertThat(count("SELECT COUNT(*) FROM q_schema_version")).isEqualTo(1);
    assertThat(count("SELECT MAX(version) FROM q_schema_version")).isEqualTo(1);
    assertThat(roundTrip(store)).isTrue();
  }

  @Test
  void withoutCreateSchemaAMissingSchemaFailsAtBuildAndSaysWhatToRun() throws Exception {
    pool = Pools.pool(h2(), 2);

    assertThatThrownBy(() -> JdbcQueueStore.builder().dataSource(pool).createSchema(false).build())
        .isInstanceOf(QueueStoreException.class)
        .hasMessageContaining("mta_schema_version")
        .hasMessageContaining("db/mta4j/h2/");
    assertThat(
            count("SELECT COUNT(*) FROM INFORMATION_SCHEMA.TABLES WHERE TABLE_NAME LIKE 'MTA_%'"))
        .as("nothing created")
        .isZero();
  }

  @Test
  void theScriptsRunByHandWithPsqlAsTheReadmeSaysGiveASchemaTheStoreAccepts() throws Exception {
    PostgresServer pg = PostgresServer.shared();
    String url = pg.newDatabase("byhand");
    String database = url.substring(url.lastIndexOf('/') + 1, url.indexOf('?'));
    String script;
    try (InputStream in = getClass().getResourceAsStream("/db/mta4j/postgresql/V1__queue.sql")) {
      script = new String(in.readAllBytes(), UTF_8);
    }
    // README: sed -e 's/${table}/mail.mta_/g' -e 's/${index}/mta_/g' V1__queue.sql, then the
    // schema_version table and its row
    String filled = script.replace("${table}", "mail.mta_").replace("${index}", "mta_");
    String sql =
        "CREATE SCHEMA mail;\n"
            + filled
            + "\nCREATE TABLE mail.mta_schema_version (version INTEGER NOT NULL PRIMARY KEY,"
            + " script VARCHAR(200) NOT NULL, installed_at TIMESTAMP WITH TIME ZONE NOT NULL);\n"
            + "INSERT INTO mail.mta_schema_version VALUES (1, 'V1__queue.sql', now());\n";
    Path psql = psql();
    Peers.run(
            Duration.ofSeconds(60),
            List.of(
                psql.toString(),
                "-v",
                "ON_ERROR_STOP=1",
                "-h",
                "127.0.0.1",
                "-p",
                Integer.toString(pg.port()),
                "-U",
                "postgres",
                "-d",
                database,
                "-f",
                "-"),
            sql.getBytes(UTF_8))
        .assertSuccess();

    pool = Pools.pool(url, 2);
    JdbcQueueStore store =
        JdbcQueueStore.builder().dataSource(pool).schema("mail").createSchema(false).build();
    assertThat(store.databaseName()).isEqualTo("PostgreSQL");
    assertThat(roundTrip(store)).isTrue();
  }

  @Test
  void theBuilderNamesTheOptionAndTheBadValue() {
    assertThatThrownBy(() -> JdbcQueueStore.builder().tablePrefix("mta-"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("tablePrefix")
        .hasMessageContaining("mta-");
    assertThatThrownBy(() -> JdbcQueueStore.builder().schema("mail; DROP TABLE x"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("schema");
    assertThatThrownBy(() -> JdbcQueueStore.builder().build())
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("dataSource");
  }

  private static Path psql() {
    Path debian = Path.of("/usr/bin/psql");
    return Files.isExecutable(debian) ? debian : Peers.executable("psql");
  }

  private static String h2() {
    return "jdbc:h2:mem:schema" + H2_DATABASES.incrementAndGet() + ";DB_CLOSE_DELAY=-1";
  }

  private long count(String sql) throws Exception {
    try (Connection c = pool.getConnection();
        Statement s = c.createStatement();
        ResultSet r = s.executeQuery(sql)) {
      r.next();
      return r.getLong(1);
    }
  }

  private static boolean roundTrip(JdbcQueueStore store) throws Exception {
    byte[] content = "Subject: x\r\n\r\nbody\r\n".getBytes(US_ASCII);
    store.enqueue(
        new NewMessage(
            "R1",
            "a@b.test",
            List.of(Recipient.of("c@d.test")),
            MailParameters.NONE,
            Instant.parse("2026-03-02T10:00:00Z")),
        new ByteArrayInputStream(content));
    try (InputStream in = store.openContent("R1")) {
      return Arrays.equals(in.readAllBytes(), content);
    }
  }
}
