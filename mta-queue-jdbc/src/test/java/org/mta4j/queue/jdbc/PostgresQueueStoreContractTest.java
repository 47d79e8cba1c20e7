package org.mta4j.queue.jdbc;

import com.zaxxer.hikari.HikariDataSource;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.mta4j.queue.QueueStore;
import org.mta4j.queue.QueueStoreContract;

/**
 * The contract suite on a real PostgreSQL server ({@link PostgresServer}): one database for the
 * class, a schema of its own per test (which also exercises the schema option).
 */
class PostgresQueueStoreContractTest extends QueueStoreContract {
  private static final AtomicInteger SCHEMAS = new AtomicInteger();
  private static HikariDataSource pool;
  private String schema;

  @BeforeAll
  static void startPostgres() {
    pool = Pools.pool(PostgresServer.shared().newDatabase("contract"), 8);
  }

  @AfterAll
  static void closePool() {
    if (pool != null) {
      pool.close();
    }
  }

  @Override
  protected QueueStore newStore() throws Exception {
    schema = "contract" + SCHEMAS.incrementAndGet();
    return JdbcQueueStore.builder().dataSource(pool).schema(schema).build();
  }

  @Override
  protected boolean isDurable() {
    return true;
  }

  @Override
  protected QueueStore reopen(QueueStore closed) throws Exception {
    return JdbcQueueStore.builder().dataSource(pool).schema(schema).build();
  }
}
