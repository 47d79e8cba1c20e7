package org.mta4j.queue.jdbc;

import com.zaxxer.hikari.HikariDataSource;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.mta4j.queue.QueueStore;
import org.mta4j.queue.QueueStoreContract;

/** The contract suite on H2 in memory: a fresh database per test, kept until its pool closes. */
class H2MemoryQueueStoreContractTest extends QueueStoreContract {
  private static final AtomicInteger DATABASES = new AtomicInteger();
  private final Map<QueueStore, HikariDataSource> pools = new IdentityHashMap<>();

  @Override
  protected QueueStore newStore() throws Exception {
    HikariDataSource pool =
        Pools.pool("jdbc:h2:mem:contract" + DATABASES.incrementAndGet() + ";DB_CLOSE_DELAY=-1", 8);
    return track(JdbcQueueStore.builder().dataSource(pool).build(), pool);
  }

  @Override
  protected boolean isDurable() {
    return true; // the database outlives the store object (DB_CLOSE_DELAY=-1)
  }

  @Override
  protected QueueStore reopen(QueueStore closed) throws Exception {
    HikariDataSource pool = pools.remove(closed);
    return track(JdbcQueueStore.builder().dataSource(pool).build(), pool);
  }

  @Override
  protected void closeStore(QueueStore store) throws Exception {
    super.closeStore(store);
    HikariDataSource pool = pools.remove(store);
    if (pool != null) {
      try (var c = pool.getConnection();
          var s = c.createStatement()) {
        s.execute("DROP ALL OBJECTS");
      }
      pool.close();
    }
  }

  private QueueStore track(JdbcQueueStore store, HikariDataSource pool) {
    pools.put(store, pool);
    return store;
  }
}
