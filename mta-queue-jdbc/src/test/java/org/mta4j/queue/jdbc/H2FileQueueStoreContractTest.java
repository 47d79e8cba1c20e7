package org.mta4j.queue.jdbc;

import com.zaxxer.hikari.HikariDataSource;
import java.nio.file.Path;
import java.util.IdentityHashMap;
import java.util.Map;
import org.junit.jupiter.api.io.TempDir;
import org.mta4j.queue.QueueStore;
import org.mta4j.queue.QueueStoreContract;

/**
 * The contract suite on an H2 file database, with a table prefix and a schema of our own; {@link
 * #reopen} closes the database (H2 writes it out) and opens the file again.
 */
class H2FileQueueStoreContractTest extends QueueStoreContract {
  @TempDir Path dir;
  private final Map<QueueStore, HikariDataSource> pools = new IdentityHashMap<>();

  @Override
  protected QueueStore newStore() throws Exception {
    return open();
  }

  @Override
  protected boolean isDurable() {
    return true;
  }

  @Override
  protected QueueStore reopen(QueueStore closed) throws Exception {
    pools.remove(closed).close(); // the last connection goes: H2 closes the file
    return open();
  }

  @Override
  protected void closeStore(QueueStore store) throws Exception {
    super.closeStore(store);
    HikariDataSource pool = pools.remove(store);
    if (pool != null) {
      pool.close();
    }
  }

  private QueueStore open() throws Exception {
    HikariDataSource pool = Pools.pool("jdbc:h2:file:" + dir.resolve("queue"), 8);
    JdbcQueueStore store =
        JdbcQueueStore.builder().dataSource(pool).schema("mail").tablePrefix("q_").build();
    pools.put(store, pool);
    return store;
  }
}
